//! Value types as the analysis sees them, and bit-mask arithmetic on the
//! (at most 128) bits of a value: lanes, fills and shifts within lanes.
//!
//! Bit `i` of a vector value is bit `i % w` of lane `i / w` (`w` the lane
//! width), which is also where a little-endian bitcast puts it.

/// The type of an IR value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Ty {
    /// `iW`, or a vector of `lanes` of them.
    Int {
        /// Lanes (1 for a scalar).
        lanes: u8,
        /// Bits per lane.
        width: u8,
    },
    /// `float`/`double`, or a vector of them.
    Float {
        /// Lanes (1 for a scalar).
        lanes: u8,
        /// Bits per lane (32 or 64).
        width: u8,
    },
    /// A pointer.
    Ptr,
    /// A literal struct of `n` fields (multi-value results).
    Struct(u8),
    /// No value.
    Void,
    /// Anything else (labels, metadata, wider types).
    Other,
}

impl Ty {
    /// Lanes of a scalar or vector type (1 otherwise).
    pub(super) fn lanes(self) -> u32 {
        match self {
            Ty::Int { lanes, .. } | Ty::Float { lanes, .. } => u32::from(lanes),
            _ => 1,
        }
    }

    /// Bits per lane.
    pub(super) fn lane_width(self) -> u32 {
        match self {
            Ty::Int { width, .. } | Ty::Float { width, .. } => u32::from(width),
            Ty::Ptr => 64,
            _ => 0,
        }
    }

    /// Total bits of a scalar, vector or pointer (0 otherwise).
    pub(super) fn bits(self) -> u32 {
        self.lanes() * self.lane_width()
    }

    /// Every bit of the value.
    pub(super) fn all(self) -> u128 {
        mask(self.bits())
    }

    /// The bits of the value's highest-addressed byte in memory (all bits of
    /// a value narrower than a byte).
    pub(super) fn top_byte(self) -> u128 {
        let bits = self.bits();
        if bits <= 8 {
            return mask(bits);
        }
        mask(bits) & !mask(bits - 8)
    }

    /// Whether this is an integer (or integer vector) type.
    pub(super) fn is_int(self) -> bool {
        matches!(self, Ty::Int { .. })
    }

    /// Whether this is a float (or float vector) type.
    pub(super) fn is_float(self) -> bool {
        matches!(self, Ty::Float { .. })
    }
}

/// The low `bits` bits.
pub(super) fn mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// The bits of lane `k` of lanes `width` wide.
pub(super) fn lane_mask(width: u32, k: u32) -> u128 {
    mask(width) << (k * width)
}

/// Lane `k` of `value` (lanes `width` bits wide), as the low bits.
pub(super) fn lane(value: u128, width: u32, k: u32) -> u64 {
    ((value >> (k * width)) & mask(width.min(64))) as u64
}

/// `value` with lane `k` replaced by `x`.
pub(super) fn with_lane(value: u128, width: u32, k: u32, x: u64) -> u128 {
    let m = lane_mask(width, k);
    (value & !m) | ((u128::from(x) << (k * width)) & m)
}

/// Applies `f` to every lane of `value` (lanes `width` bits wide).
pub(super) fn map_lanes(value: u128, ty: Ty, f: impl Fn(u64) -> u64) -> u128 {
    let (width, lanes) = (ty.lane_width(), ty.lanes());
    (0..lanes).fold(0, |acc, k| {
        with_lane(acc, width, k, f(lane(value, width, k)) & mask(width) as u64)
    })
}

/// Within each lane, every bit at or below the lane's highest set bit: the
/// bits of an operand that can influence those bits of a sum or product.
pub(super) fn low_fill(d: u128, ty: Ty) -> u128 {
    map_lanes(d, ty, |x| {
        if x == 0 {
            0
        } else {
            u64::MAX >> x.leading_zeros()
        }
    })
}

/// Whole lanes of `ty` that have any bit of `d` set.
pub(super) fn whole_lanes(d: u128, ty: Ty) -> u128 {
    let width = ty.lane_width();
    map_lanes(d, ty, |x| if x == 0 { 0 } else { mask(width) as u64 })
}

/// Every lane shifted left by `by` bits (within the lane).
pub(super) fn shl_lanes(d: u128, ty: Ty, by: u32) -> u128 {
    let width = ty.lane_width();
    map_lanes(d, ty, |x| if by >= width { 0 } else { x << by })
}

/// Every lane shifted right (logically) by `by` bits (within the lane).
pub(super) fn shr_lanes(d: u128, ty: Ty, by: u32) -> u128 {
    let width = ty.lane_width();
    map_lanes(d, ty, |x| if by >= width { 0 } else { x >> by })
}

/// The sign bit of every lane.
pub(super) fn sign_bits(ty: Ty) -> u128 {
    let width = ty.lane_width();
    map_lanes(0, ty, |_| 1u64 << (width - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: Ty = Ty::Int {
        lanes: 4,
        width: 32,
    };
    const I32: Ty = Ty::Int {
        lanes: 1,
        width: 32,
    };

    #[test]
    fn top_bytes() {
        assert_eq!(I32.top_byte(), 0xff00_0000);
        assert_eq!(Ty::Int { lanes: 1, width: 8 }.top_byte(), 0xff);
        assert_eq!(V4.top_byte(), 0xff << 120);
        assert_eq!(Ty::Int { lanes: 1, width: 1 }.top_byte(), 1);
    }

    #[test]
    fn lane_helpers() {
        assert_eq!(low_fill(0x10, I32), 0x1f);
        assert_eq!(low_fill(1 << 40 | 1, V4), 0x1ff << 32 | 1);
        assert_eq!(whole_lanes(1 << 64, V4), 0xffff_ffff << 64);
        assert_eq!(shl_lanes(0xffff_ffff, V4, 8), 0xffff_ff00);
        assert_eq!(shr_lanes(1 << 32, V4, 1), 0);
        assert_eq!(sign_bits(V4) >> 96, 0x8000_0000);
        assert_eq!(with_lane(0, 32, 2, 7), 7 << 64);
        assert_eq!(lane(7 << 64, 32, 2), 7);
    }
}

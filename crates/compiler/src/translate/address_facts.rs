//! Address facts: which `i32` values are known to be the index of a 32-bit
//! memory access that already happened, so that `i32.add x, C` can be built
//! as `add nuw` (no unsigned wrap).
//!
//! Why: compiled code addresses memory as `base + zext(i32)`. Without `nuw`,
//! `zext(x + 4)` is not `zext(x) + 4` to LLVM (the `i32` add may wrap), so
//! scalar evolution cannot see that `p` and `p + 4` are neighbours, and the
//! loop vectorizer neither groups them (interleaving) nor proves a loop's
//! accesses affine. A matrix multiply that clang unrolled by two ran 3.7x
//! slower than native because of it (issue 2, `bench/run.sh`).
//!
//! Why it is sound: the runtime caps every 32-bit memory at
//! [`tern_environ::tunables::MEMORY32_MAX_BYTES`] = 4 GiB - 64 KiB. An access
//! at `zext(x) + offset` that did not trap therefore had
//! `x < 2^32 - 64 KiB`, and `x + C` for `0 <= C < 64 KiB` cannot wrap. The fact
//! holds wherever the access dominates, which the translator tracks
//! structurally:
//!
//! * a fact learnt inside a control frame ends with the frame (at `end`), and
//!   with the arm or handler it was learnt in (`else`, `catch`, ...);
//! * facts about *locals* (a `local.get` yields a fresh value each time) die
//!   at `local.set`/`local.tee` of that local and at every `loop` header,
//!   where the local may hold a value from the back edge;
//! * facts about SSA values need nothing more: a value never changes.
//!
//! Keeping dropped loads alive (`trapping_loads`) is what makes "the access
//! happened" true after optimization too.

use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::values::{AsValueRef, IntValue};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use wasmparser::Operator;

/// Constants added to a known address that are certain not to wrap.
const NO_WRAP_LIMIT: u64 = 64 << 10;

/// One fact about a local: its value of `generation` is a proven address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct LocalFact {
    local: u32,
    generation: u32,
    epoch: u32,
}

/// A set whose members can be forgotten back to an earlier size.
struct ScopedSet<T> {
    order: Vec<T>,
    members: HashSet<T>,
}

impl<T: Copy + Eq + Hash> ScopedSet<T> {
    fn insert(&mut self, item: T) {
        if self.members.insert(item) {
            self.order.push(item);
        }
    }

    fn contains(&self, item: &T) -> bool {
        self.members.contains(item)
    }

    fn truncate(&mut self, len: usize) {
        for item in self.order.drain(len.min(self.order.len())..) {
            self.members.remove(&item);
        }
    }
}

impl<T> Default for ScopedSet<T> {
    fn default() -> Self {
        ScopedSet {
            order: Vec::new(),
            members: HashSet::new(),
        }
    }
}

/// The facts of one function being translated (see the module docs).
#[derive(Default)]
pub(super) struct AddressFacts {
    /// SSA values proven to be accessed addresses.
    values: ScopedSet<LLVMValueRef>,
    /// Locals whose current value is a proven address.
    locals: ScopedSet<LocalFact>,
    /// For each open control frame: the sizes of `values`/`locals` when it
    /// (or its current arm) began.
    scopes: Vec<(usize, usize)>,
    /// Bumped by each `local.set`/`local.tee` of a local.
    generations: HashMap<u32, u32>,
    /// Bumped at each `loop`: local facts of an older epoch are void.
    epoch: u32,
    /// For each value read from or written to locals: those locals, with
    /// their fact key at that moment.
    holders: HashMap<LLVMValueRef, Vec<LocalFact>>,
}

impl AddressFacts {
    /// Updates the scopes for a structured-control operator (live or dead
    /// code alike, so openings and closings stay balanced).
    pub(super) fn on_control(&mut self, op: &Operator<'_>) {
        use Operator as O;
        match op {
            O::Block { .. } | O::If { .. } | O::Try { .. } | O::TryTable { .. } => self.open(),
            O::Loop { .. } => {
                self.open();
                self.epoch += 1;
            }
            O::Else | O::Catch { .. } | O::CatchAll => self.restart_arm(),
            O::End | O::Delegate { .. } => self.close(),
            _ => {}
        }
    }

    fn open(&mut self) {
        self.scopes
            .push((self.values.order.len(), self.locals.order.len()));
    }

    fn restart_arm(&mut self) {
        if let Some(&(values, locals)) = self.scopes.last() {
            self.values.truncate(values);
            self.locals.truncate(locals);
        }
    }

    fn close(&mut self) {
        self.restart_arm();
        self.scopes.pop();
    }

    fn generation(&self, local: u32) -> u32 {
        self.generations.get(&local).copied().unwrap_or(0)
    }

    fn current(&self, local: u32) -> LocalFact {
        LocalFact {
            local,
            generation: self.generation(local),
            epoch: self.epoch,
        }
    }

    fn is_address(&self, value: IntValue<'_>) -> bool {
        self.values.contains(&value.as_value_ref())
    }

    /// `local.get local` produced `value`.
    pub(super) fn on_local_get(&mut self, local: u32, value: IntValue<'_>) {
        let key = value.as_value_ref();
        let fact = self.current(local);
        self.holders.entry(key).or_default().push(fact);
        if self.locals.contains(&self.current(local)) {
            self.values.insert(key);
        }
    }

    /// `local.set local` (or `local.tee`) stored `value`.
    pub(super) fn on_local_set(&mut self, local: u32, value: IntValue<'_>) {
        *self.generations.entry(local).or_insert(0) += 1;
        let fact = self.current(local);
        if self.is_address(value) {
            self.locals.insert(fact);
        }
        self.holders
            .entry(value.as_value_ref())
            .or_default()
            .push(fact);
    }

    /// `index` is the (`i32`) index operand of a 32-bit memory access emitted
    /// right now.
    pub(super) fn on_access(&mut self, index: IntValue<'_>) {
        let key = index.as_value_ref();
        self.values.insert(key);
        // A local still holds this value if neither a `local.set` of it nor
        // a loop header came between the `local.get`/`local.set` and here.
        let still_held: Vec<LocalFact> = self
            .holders
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .filter(|fact| *fact == self.current(fact.local))
            .collect();
        for fact in still_held {
            self.locals.insert(fact);
        }
    }

    /// Whether `lhs + rhs` (`i32`) certainly does not wrap: one side is a
    /// proven address and the other a small non-negative constant.
    pub(super) fn add_cannot_wrap(&self, lhs: IntValue<'_>, rhs: IntValue<'_>) -> bool {
        let small = |v: IntValue<'_>| {
            v.get_zero_extended_constant()
                .is_some_and(|c| c < NO_WRAP_LIMIT)
        };
        (self.is_address(lhs) && small(rhs)) || (self.is_address(rhs) && small(lhs))
    }
}

impl<'ctx> super::func_translator::FuncTranslator<'_, '_, 'ctx> {
    /// `i32.add` of a proven address and a small constant, as `add nuw`.
    /// Returns `Ok(false)` (nothing popped) when the facts do not allow it.
    ///
    /// # Errors
    /// Propagates LLVM builder errors.
    pub(super) fn translate_address_add(&mut self) -> crate::error::Result<bool> {
        let [.., lhs, rhs] = self.stack[..] else {
            return Ok(false);
        };
        let (lhs, rhs) = (lhs.into_int_value(), rhs.into_int_value());
        if !self.address_facts.add_cannot_wrap(lhs, rhs) {
            return Ok(false);
        }
        self.stack.truncate(self.stack.len() - 2);
        let sum = self.builder.build_int_nuw_add(lhs, rhs, "addr.add")?;
        self.stack.push(sum.into());
        Ok(true)
    }
}

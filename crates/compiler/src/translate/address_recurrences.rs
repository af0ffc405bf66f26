//! Address recurrences: in a leaf loop, an access at `a + l` (`a` a local
//! the loop never assigns, `l` a local the loop steps by a small constant)
//! uses a 64-bit shadow of the sum that the loop carries in a phi and steps
//! itself, instead of `zext(a + l)`.
//!
//! Why: `a + l` may wrap in Wasm, so LLVM must compute the 32-bit sum and
//! zero-extend it on every access, and scalar evolution cannot see the
//! address as an affine recurrence: the unrolled `c[i] = a[i] * 0.5` of
//! `bench/programs/stream.c` stayed a scalar loop with two `lea`s per element
//! while native code was vectorized (issue 2).
//!
//! What: the shadow `S` of a pair `(a, l)` is a phi at the loop header. On
//! entry it is `zext(a + l)`, computed exactly. On a back edge it is `S + C`
//! when the translator can prove that exact (below), and `zext(a + l)`
//! recomputed from the locals otherwise. Inside the body, a value read from
//! `a + l` (with `l` not yet assigned in this iteration), from a local set to
//! it, or from an `add nuw` of it and a constant `c`, is `S + c` as a 64-bit
//! index.
//!
//! Why `S + C` is exact on a back edge: let `S = zext((a + l) mod 2^32)` at
//! the header (true on entry, and by induction). The back edge is taken only
//! after code at the top level of the body (not inside a nested block, so it
//! ran in this iteration) that
//!
//! * accessed memory at `S + c` for some `c >= 0`, without trapping: so
//!   `(a + l) mod 2^32 < 2^32 - 64 KiB` (a 32-bit memory holds at most
//!   [`tern_environ::tunables::MEMORY32_MAX_BYTES`]), and
//! * assigned `l` exactly once, as `l + C` of its value at the header, with
//!   `0 <= C < 64 KiB`, and nothing else assigned `l` before the back edge
//!   (any other assignment anywhere before it in the body disables the step);
//!
//! and `a` is never assigned in the loop. Then the new sum is
//! `(a + l + C) mod 2^32 = ((a + l) mod 2^32) + C`, which is below 2^32, so
//! its zero extension is `S + C`. Every other edge into the header (other
//! branches, `br_table`, exception edges) gets the exact recomputation, so
//! `S = zext(a + l)` holds at the header on every path, and every shadowed
//! address equals the one Wasm computes, in every execution (trapping or
//! not: nothing here relies on a trap).
//!
//! Pointer shadows: an access (plain load or store, static offset 0) at
//! `l + c` or `l` itself (`c` constant below 64 KiB), where the loop's only
//! assignment of `l` is one top-level `l = l + C`, uses `base + P + c`, once
//! an access at an `l + c` that the address facts could not make `nuw` made
//! the shadow. `P`
//! is a 64-bit phi with the invariant `P = l (mod 2^32)` and
//! `-64 KiB <= P <= MAX` (`MAX` = 2^32 - 64 KiB). On entry, and on every edge
//! not proven below, `P = f(l) = (l > MAX ? l - 2^32 : l)`, which satisfies
//! it. Given the invariant, `base + P + c` is the Wasm address whenever
//! `P + c >= 0` (then `0 <= P + c < 2^32` and it is `(l + c) mod 2^32`), and
//! when `P + c < 0` the Wasm index `P + c + 2^32` is at least `MAX`, past any
//! memory, so Wasm traps, and our address lies in the 64 KiB guard below the
//! base, so it faults: the same trap (this is `address_split.rs`'s argument).
//! A back edge gets `P + C` when a top-level access at `base + P + c` of `s`
//! bytes with `c + s >= C` ran without faulting before it, and `l` was
//! stepped exactly once, by `C`, at the top level: the access proves
//! `0 <= P + c` and `P + c + s <= MAX`, so `P + C` is again in range, and it is
//! `l + C (mod 2^32)`. Unlike the sum shadow, this one relies on the trap
//! (not on the address being exact in trapping executions), hence the
//! static offset 0 and plain accesses only.
//!
//! Not under `--cr`: a restore enters the loop header from the restore path,
//! which knows the locals but not the shadows.

use super::address_split::wrapped_below;
use inkwell::basic_block::BasicBlock;
use inkwell::llvm_sys::core::{LLVMGetInstructionParent, LLVMGetUser};
use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::values::{AsValueRef, IntValue, PhiValue};
use std::collections::{HashMap, HashSet};
use wasmparser::{FunctionBody, Operator};

/// Largest step (exclusive) that cannot carry a proven address past 2^32.
const STEP_LIMIT: u64 = 64 << 10;

/// For each leaf loop (by offset), the locals whose only assignment in it is
/// one `l = l + C` at the loop's top level (`local.get l; i32.const C;
/// i32.add; local.set/tee l`, `0 <= C < 64 KiB`), with `C`.
fn constant_steps(body: &FunctionBody<'_>) -> wasmparser::Result<HashMap<u32, HashMap<u32, u64>>> {
    /// An open frame: a loop's offset, whether a loop is nested in it, its
    /// assignment counts and top-level steps.
    #[derive(Default)]
    struct Frame {
        loop_at: Option<u32>,
        nested: bool,
        sets: HashMap<u32, u32>,
        steps: HashMap<u32, u64>,
    }
    /// The operators just before, inside one frame.
    #[derive(Clone, Copy)]
    enum Recent {
        Get(u32),
        Const(u64),
        Add,
        Other,
    }
    let mut result = HashMap::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut recent = [Recent::Other; 3];
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position() as u32;
        let op = reader.read()?;
        let now = match op {
            Operator::Loop { .. } => {
                for f in frames.iter_mut() {
                    f.nested = true;
                }
                frames.push(Frame {
                    loop_at: Some(offset),
                    ..Default::default()
                });
                Recent::Other
            }
            Operator::Block { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => {
                frames.push(Frame::default());
                Recent::Other
            }
            Operator::End | Operator::Delegate { .. } => {
                if let Some(f) = frames.pop() {
                    if let (Some(at), false) = (f.loop_at, f.nested) {
                        let steps = f
                            .steps
                            .into_iter()
                            .filter(|(l, _)| f.sets.get(l) == Some(&1))
                            .collect();
                        result.insert(at, steps);
                    }
                }
                Recent::Other
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                for f in frames.iter_mut() {
                    *f.sets.entry(local_index).or_insert(0) += 1;
                }
                if let (Some(f), [Recent::Get(l), Recent::Const(c), Recent::Add]) =
                    (frames.last_mut(), recent)
                {
                    if l == local_index && c < STEP_LIMIT && f.loop_at.is_some() {
                        f.steps.insert(l, c);
                    }
                }
                Recent::Other
            }
            Operator::LocalGet { local_index } => Recent::Get(local_index),
            Operator::I32Const { value } => Recent::Const(u64::from(value as u32)),
            Operator::I32Add => Recent::Add,
            _ => Recent::Other,
        };
        recent = [recent[1], recent[2], now];
    }
    Ok(result)
}

/// How a local the loop assigns has been assigned so far in the iteration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Once, at the top level, to its header value plus this constant.
    Once(u64),
    /// Any other way (or more than once).
    Dirty,
}

/// The shadow of `a + l`.
struct Shadow<'ctx> {
    a: u32,
    l: u32,
    phi: PhiValue<'ctx>,
    /// An access at `S + c` ran at the top level of the body so far.
    accessed: bool,
}

/// The pointer shadow `P` of a stepped local `l`.
struct Pointer<'ctx> {
    l: u32,
    phi: PhiValue<'ctx>,
    /// The largest `c + s` of a top-level access at `P + c` of `s` bytes so
    /// far.
    reach: u64,
}

/// The leaf loop being translated.
struct Active<'ctx> {
    /// Control-stack index of the loop's frame.
    frame: usize,
    header: BasicBlock<'ctx>,
    preheader: BasicBlock<'ctx>,
    /// Locals the loop assigns.
    assigned: HashSet<u32>,
    /// Values read from locals the loop never assigns.
    invariant: HashMap<LLVMValueRef, u32>,
    /// Values read from assigned locals before any assignment of them.
    initial: HashMap<LLVMValueRef, u32>,
    /// Assignments so far, per assigned local.
    steps: HashMap<u32, Step>,
    /// `initial l + C` sums, with `(l, C)`, and whether the address facts
    /// made the add `nuw`.
    stepped: HashMap<LLVMValueRef, (u32, u64, bool)>,
    shadows: Vec<Shadow<'ctx>>,
    /// `i32` values whose zero extension is `shadow + c`: `(shadow, c)`.
    of: HashMap<LLVMValueRef, (usize, u64)>,
    /// Locals holding a shadowed value: `(generation, shadow, c)`.
    held: HashMap<u32, (u32, usize, u64)>,
    /// Assignments so far, per local.
    generations: HashMap<u32, u32>,
    /// Back edges proven to step: `(block, shadow, S + C)`.
    fast: Vec<(BasicBlock<'ctx>, usize, IntValue<'ctx>)>,
    /// Locals the loop steps by a constant, only (from the prescan).
    constant_steps: HashMap<u32, u64>,
    pointers: Vec<Pointer<'ctx>>,
    /// Back edges proven to step a pointer shadow: `(block, pointer, P + C)`.
    fast_pointers: Vec<(BasicBlock<'ctx>, usize, IntValue<'ctx>)>,
}

/// Address-recurrence state of one function (see the module docs).
pub(super) struct AddressRecurrences<'ctx> {
    /// Leaf loops by offset, with the locals each assigns.
    leaves: HashMap<u32, HashSet<u32>>,
    /// Leaf loops by offset, with their constant steps.
    constant_steps: HashMap<u32, HashMap<u32, u64>>,
    /// Off under `--cr`, or with `TERN_NO_ADDRESS_RECURRENCES` set (A/B).
    enabled: bool,
    active: Option<Active<'ctx>>,
}

impl<'ctx> AddressRecurrences<'ctx> {
    /// The state for a function `body` (`checkpointed`: it has migration
    /// points under `--cr`).
    ///
    /// # Errors
    /// `Malformed` if the body cannot be read.
    pub(super) fn new(body: &FunctionBody<'_>, checkpointed: bool) -> crate::error::Result<Self> {
        Ok(AddressRecurrences {
            leaves: super::pointer_bases::leaf_loops(body)?,
            constant_steps: constant_steps(body).map_err(crate::parse::malformed)?,
            enabled: !checkpointed && std::env::var_os("TERN_NO_ADDRESS_RECURRENCES").is_none(),
            active: None,
        })
    }

    /// `value` read from `local`.
    pub(super) fn on_local_get(&mut self, local: u32, value: IntValue<'_>) {
        let Some(active) = self.active.as_mut() else {
            return;
        };
        let key = value.as_value_ref();
        if !active.assigned.contains(&local) {
            active.invariant.insert(key, local);
            return;
        }
        if !active.steps.contains_key(&local) {
            active.initial.insert(key, local);
        }
        let generation = active.generations.get(&local).copied().unwrap_or(0);
        if let Some(&(held_generation, shadow, c)) = active.held.get(&local) {
            if held_generation == generation {
                active.of.insert(key, (shadow, c));
            }
        }
    }

    /// `value` stored to `local`, at the loop body's top level or not.
    pub(super) fn on_local_set(&mut self, local: u32, value: IntValue<'_>, top_level: bool) {
        let Some(active) = self.active.as_mut() else {
            return;
        };
        let key = value.as_value_ref();
        let generation = active.generations.entry(local).or_insert(0);
        *generation += 1;
        let generation = *generation;
        let step = match (active.steps.get(&local), active.stepped.get(&key)) {
            (None, Some(&(l, c, _))) if top_level && l == local => Step::Once(c),
            _ => Step::Dirty,
        };
        active.steps.insert(local, step);
        match active.of.get(&key) {
            Some(&(shadow, c)) if top_level => {
                active.held.insert(local, (generation, shadow, c));
            }
            _ => {
                active.held.remove(&local);
            }
        }
    }

    /// Whether `index` has a shadow.
    pub(super) fn has_shadow(&self, index: IntValue<'_>) -> bool {
        self.active
            .as_ref()
            .is_some_and(|a| a.of.contains_key(&index.as_value_ref()))
    }
}

impl<'ctx> super::func_translator::FuncTranslator<'_, '_, 'ctx> {
    /// Whether the builder is at the top level of the active loop's body.
    fn recurrence_top_level(&self) -> bool {
        self.address_recurrences
            .active
            .as_ref()
            .is_some_and(|a| self.control.len() == a.frame + 1)
    }

    /// `loop` at byte `offset` was just pushed; `preheader` branches to
    /// `header`.
    pub(super) fn recurrences_on_loop(
        &mut self,
        offset: u32,
        preheader: Option<BasicBlock<'ctx>>,
        header: BasicBlock<'ctx>,
    ) {
        let state = &mut self.address_recurrences;
        if !state.enabled || state.active.is_some() {
            return;
        }
        let (Some(assigned), Some(preheader)) = (state.leaves.get(&offset), preheader) else {
            return;
        };
        state.active = Some(Active {
            frame: self.control.len() - 1,
            header,
            preheader,
            assigned: assigned.clone(),
            invariant: HashMap::new(),
            initial: HashMap::new(),
            steps: HashMap::new(),
            stepped: HashMap::new(),
            shadows: Vec::new(),
            of: HashMap::new(),
            held: HashMap::new(),
            generations: HashMap::new(),
            fast: Vec::new(),
            constant_steps: state
                .constant_steps
                .get(&offset)
                .cloned()
                .unwrap_or_default(),
            pointers: Vec::new(),
            fast_pointers: Vec::new(),
        });
    }

    /// `local.set`/`local.tee` of `local` stored `value`.
    pub(super) fn recurrences_on_local_set(&mut self, local: u32, value: IntValue<'ctx>) {
        let top_level = self.recurrence_top_level();
        self.address_recurrences
            .on_local_set(local, value, top_level);
    }

    /// `lhs + rhs` produced `sum` (`nuw` when the address facts allowed it).
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn recurrences_on_add(
        &mut self,
        lhs: IntValue<'ctx>,
        rhs: IntValue<'ctx>,
        sum: IntValue<'ctx>,
        nuw: bool,
    ) -> crate::error::Result<()> {
        let Some(active) = self.address_recurrences.active.as_mut() else {
            return Ok(());
        };
        let key = sum.as_value_ref();
        let (l_ref, r_ref) = (lhs.as_value_ref(), rhs.as_value_ref());
        let pair = match (
            active.invariant.get(&l_ref),
            active.initial.get(&r_ref),
            active.initial.get(&l_ref),
            active.invariant.get(&r_ref),
        ) {
            (Some(&a), Some(&l), _, _) | (_, _, Some(&l), Some(&a)) => Some((a, l)),
            _ => None,
        };
        if let Some((a, l)) = pair {
            let shadow = self.shadow_for(a, l)?;
            if let Some(active) = self.address_recurrences.active.as_mut() {
                active.of.insert(key, (shadow, 0));
            }
            return Ok(());
        }
        let constant = |v: IntValue<'_>| v.get_zero_extended_constant();
        let with_constant = match (constant(lhs), constant(rhs)) {
            (None, Some(c)) => Some((l_ref, c)),
            (Some(c), None) => Some((r_ref, c)),
            _ => None,
        };
        let Some((other, c)) = with_constant else {
            return Ok(());
        };
        if nuw {
            if let Some(&(shadow, base)) = active.of.get(&other) {
                active.of.insert(key, (shadow, base + c));
            }
        }
        if c < STEP_LIMIT {
            if let Some(&l) = active.initial.get(&other) {
                active.stepped.insert(key, (l, c, nuw));
            }
        }
        Ok(())
    }

    /// The shadow of `a + l`, made on first use: a phi at the header with
    /// the exact value from the preheader.
    fn shadow_for(&mut self, a: u32, l: u32) -> crate::error::Result<usize> {
        let active = self
            .address_recurrences
            .active
            .as_ref()
            .expect("an active loop");
        if let Some(k) = active.shadows.iter().position(|s| s.a == a && s.l == l) {
            return Ok(k);
        }
        let (header, preheader) = (active.header, active.preheader);
        let i64_ty = self.env.context.i64_type();
        let builder = self.env.context.create_builder();
        match header.get_first_instruction() {
            Some(first) => builder.position_before(&first),
            None => builder.position_at_end(header),
        }
        let phi = builder.build_phi(i64_ty, "shadow")?;
        let entry = self.exact_sum(preheader, a, l)?;
        phi.add_incoming(&[(&entry, preheader)]);
        let active = self
            .address_recurrences
            .active
            .as_mut()
            .expect("an active loop");
        active.shadows.push(Shadow {
            a,
            l,
            phi,
            accessed: false,
        });
        Ok(active.shadows.len() - 1)
    }

    /// `zext(a + l)` from the locals' slots, computed at the end of `block`
    /// (before its terminator).
    fn exact_sum(
        &self,
        block: BasicBlock<'ctx>,
        a: u32,
        l: u32,
    ) -> crate::error::Result<IntValue<'ctx>> {
        let builder = self.env.context.create_builder();
        match block.get_terminator() {
            Some(terminator) => builder.position_before(&terminator),
            None => builder.position_at_end(block),
        }
        let cx = self.env.context;
        let (i32_ty, i64_ty) = (cx.i32_type(), cx.i64_type());
        let load = |local: u32| {
            builder
                .build_load(i32_ty, self.locals[local as usize].slot, "shadow.local")
                .map(|v| v.into_int_value())
        };
        let sum = builder.build_int_add(load(a)?, load(l)?, "shadow.sum")?;
        Ok(builder.build_int_z_extend(sum, i64_ty, "shadow.exact")?)
    }

    /// The 64-bit index of an access at `index`, if it has a shadow (the
    /// access then counts as proof for the back edges after it).
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn shadow_index(
        &mut self,
        index: IntValue<'ctx>,
    ) -> crate::error::Result<Option<IntValue<'ctx>>> {
        let top_level = self.recurrence_top_level();
        let Some(active) = self.address_recurrences.active.as_mut() else {
            return Ok(None);
        };
        let Some(&(shadow, c)) = active.of.get(&index.as_value_ref()) else {
            return Ok(None);
        };
        if top_level {
            active.shadows[shadow].accessed = true;
        }
        let s = active.shadows[shadow].phi.as_basic_value().into_int_value();
        if c == 0 {
            return Ok(Some(s));
        }
        let c = self.env.context.i64_type().const_int(c, false);
        Ok(Some(self.builder.build_int_nuw_add(
            s,
            c,
            "shadow.index",
        )?))
    }

    /// The 64-bit offset `P + c` of a plain access (static offset 0) of
    /// `size` bytes at `index` = `l` or `l + c`, if a pointer shadow covers
    /// it (see the module docs); the access then counts as proof for the
    /// back edges after it.
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn pointer_index(
        &mut self,
        index: IntValue<'ctx>,
        size: u32,
    ) -> crate::error::Result<Option<IntValue<'ctx>>> {
        let top_level = self.recurrence_top_level();
        let Some(active) = self.address_recurrences.active.as_ref() else {
            return Ok(None);
        };
        let key = index.as_value_ref();
        let (l, c, wraps) = match (active.initial.get(&key), active.stepped.get(&key)) {
            (Some(&l), _) => (l, 0, false),
            (None, Some(&(l, c, nuw))) => (l, c, !nuw),
            _ => return Ok(None),
        };
        // Only where the access can prove the step (else the shadow would be
        // recomputed with a select on every iteration, for nothing).
        let Some(&step) = active.constant_steps.get(&l) else {
            return Ok(None);
        };
        let reach = c + u64::from(size);
        if reach < step {
            return Ok(None);
        }
        let k = match active.pointers.iter().position(|p| p.l == l) {
            Some(k) => k,
            // Made only for an `l + c` that may wrap as far as the address
            // facts know (crc32's `buf[i + 1]` before `buf[i]`): where every
            // access is at `l` or a proven `l + c` (`nuw`), LLVM widens the
            // index itself, and a shadow only got in the vectorizer's way
            // (stream: 1.67G -> 2.39G instructions).
            None if wraps => self.pointer_for(l)?,
            None => return Ok(None),
        };
        let active = self
            .address_recurrences
            .active
            .as_mut()
            .expect("an active loop");
        let pointer = &mut active.pointers[k];
        if top_level {
            pointer.reach = pointer.reach.max(reach);
        }
        let p = pointer.phi.as_basic_value().into_int_value();
        if c == 0 {
            return Ok(Some(p));
        }
        let c = self.env.context.i64_type().const_int(c, false);
        Ok(Some(self.builder.build_int_nsw_add(
            p,
            c,
            "pointer.index",
        )?))
    }

    /// The pointer shadow of `l`, made on first use: a phi at the header
    /// with `f(l)` from the preheader.
    fn pointer_for(&mut self, l: u32) -> crate::error::Result<usize> {
        let active = self
            .address_recurrences
            .active
            .as_ref()
            .expect("an active loop");
        let (header, preheader) = (active.header, active.preheader);
        let builder = self.env.context.create_builder();
        match header.get_first_instruction() {
            Some(first) => builder.position_before(&first),
            None => builder.position_at_end(header),
        }
        let phi = builder.build_phi(self.env.context.i64_type(), "pointer")?;
        let entry = self.exact_pointer(preheader, l)?;
        phi.add_incoming(&[(&entry, preheader)]);
        let active = self
            .address_recurrences
            .active
            .as_mut()
            .expect("an active loop");
        active.pointers.push(Pointer { l, phi, reach: 0 });
        Ok(active.pointers.len() - 1)
    }

    /// `f(l)` from the local's slot, computed at the end of `block`.
    fn exact_pointer(
        &self,
        block: BasicBlock<'ctx>,
        l: u32,
    ) -> crate::error::Result<IntValue<'ctx>> {
        let builder = self.env.context.create_builder();
        match block.get_terminator() {
            Some(terminator) => builder.position_before(&terminator),
            None => builder.position_at_end(block),
        }
        let value = builder
            .build_load(
                self.env.context.i32_type(),
                self.locals[l as usize].slot,
                "pointer.local",
            )?
            .into_int_value();
        wrapped_below(&builder, value)
    }

    /// A `br`/`br_if` to control frame `index` is about to be built from
    /// the current block: on a back edge of the active loop, the shadows
    /// proven to step get `S + C` (see the module docs).
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn recurrences_on_branch(&mut self, index: usize) -> crate::error::Result<()> {
        let Some(active) = self.address_recurrences.active.as_ref() else {
            return Ok(());
        };
        let Some(block) = self.builder.get_insert_block() else {
            return Ok(());
        };
        if index != active.frame {
            return Ok(());
        }
        let mut fast = Vec::new();
        for (k, shadow) in active.shadows.iter().enumerate() {
            let step = active.steps.get(&shadow.l).copied();
            if let (true, Some(Step::Once(c))) = (shadow.accessed, step) {
                let s = shadow.phi.as_basic_value().into_int_value();
                let c = self.env.context.i64_type().const_int(c, false);
                let next = self.builder.build_int_nuw_add(s, c, "shadow.next")?;
                fast.push((block, k, next));
            }
        }
        let mut fast_pointers = Vec::new();
        for (k, pointer) in active.pointers.iter().enumerate() {
            let step = active.steps.get(&pointer.l).copied();
            if let Some(Step::Once(c)) = step {
                if pointer.reach >= c {
                    let p = pointer.phi.as_basic_value().into_int_value();
                    let c = self.env.context.i64_type().const_int(c, false);
                    let next = self.builder.build_int_nsw_add(p, c, "pointer.next")?;
                    fast_pointers.push((block, k, next));
                }
            }
        }
        if let Some(active) = self.address_recurrences.active.as_mut() {
            active.fast.extend(fast);
            active.fast_pointers.extend(fast_pointers);
        }
        Ok(())
    }

    /// The frame at control-stack index `index` just ended: if it is the
    /// active loop, gives every shadow phi its incoming values (the proven
    /// steps, exact recomputation on every other edge) and forgets the loop.
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn recurrences_on_end(&mut self, index: usize) -> crate::error::Result<()> {
        if self
            .address_recurrences
            .active
            .as_ref()
            .is_none_or(|a| a.frame != index)
        {
            return Ok(());
        }
        let active = self
            .address_recurrences
            .active
            .take()
            .expect("checked above");
        // Every edge into the header, once per use (a switch may have several).
        let mut edges = Vec::new();
        let mut edge = active.header.get_first_use();
        while let Some(u) = edge {
            // SAFETY: the users of a basic block are terminators of live
            // blocks of this function.
            let parent = unsafe { LLVMGetInstructionParent(LLVMGetUser(u.as_mut_ptr())) };
            // SAFETY: as above, `parent` is a valid block.
            if let Some(block) = unsafe { BasicBlock::new(parent) } {
                edges.push(block);
            }
            edge = u.get_next_use();
        }
        for (k, shadow) in active.shadows.iter().enumerate() {
            let mut preheader_seen = false;
            for &block in &edges {
                if block == active.preheader && !preheader_seen {
                    preheader_seen = true;
                    continue;
                }
                let fast = active
                    .fast
                    .iter()
                    .find(|(b, s, _)| *b == block && *s == k)
                    .map(|(_, _, v)| *v);
                let value = match fast {
                    Some(v) => v,
                    None => self.exact_sum(block, shadow.a, shadow.l)?,
                };
                shadow.phi.add_incoming(&[(&value, block)]);
            }
        }
        for (k, pointer) in active.pointers.iter().enumerate() {
            let mut preheader_seen = false;
            for &block in &edges {
                if block == active.preheader && !preheader_seen {
                    preheader_seen = true;
                    continue;
                }
                let fast = active
                    .fast_pointers
                    .iter()
                    .find(|(b, p, _)| *b == block && *p == k)
                    .map(|(_, _, v)| *v);
                let value = match fast {
                    Some(v) => v,
                    None => self.exact_pointer(block, pointer.l)?,
                };
                pointer.phi.add_incoming(&[(&value, block)]);
            }
        }
        Ok(())
    }
}

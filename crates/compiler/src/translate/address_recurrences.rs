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
//! Under `--cr`, only in loops without a poll (counted loops and memory walks,
//! `checkpoint/loop_shapes.rs`): a restore enters a polling loop's header
//! from the restore path, which knows the locals but not the shadows, and a
//! loop without a poll and without calls holds no point a restore could enter.

use inkwell::basic_block::BasicBlock;
use inkwell::llvm_sys::core::{LLVMGetInstructionParent, LLVMGetUser};
use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::values::{AsValueRef, IntValue, PhiValue};
use std::collections::{HashMap, HashSet};

/// Largest step (exclusive) that cannot carry a proven address past 2^32.
const STEP_LIMIT: u64 = 64 << 10;

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
    /// `initial l + C` sums, with `(l, C)`.
    stepped: HashMap<LLVMValueRef, (u32, u64)>,
    shadows: Vec<Shadow<'ctx>>,
    /// `i32` values whose zero extension is `shadow + c`: `(shadow, c)`.
    of: HashMap<LLVMValueRef, (usize, u64)>,
    /// Locals holding a shadowed value: `(generation, shadow, c)`.
    held: HashMap<u32, (u32, usize, u64)>,
    /// Assignments so far, per local.
    generations: HashMap<u32, u32>,
    /// Back edges proven to step: `(block, shadow, S + C)`.
    fast: Vec<(BasicBlock<'ctx>, usize, IntValue<'ctx>)>,
}

/// Address-recurrence state of one function (see the module docs).
pub(super) struct AddressRecurrences<'ctx> {
    /// Leaf loops by offset, with the locals each assigns.
    leaves: HashMap<u32, HashSet<u32>>,
    /// Off with `TERN_NO_ADDRESS_RECURRENCES` set (A/B).
    enabled: bool,
    active: Option<Active<'ctx>>,
}

impl<'ctx> AddressRecurrences<'ctx> {
    /// The state for a function with these leaf loops.
    pub(super) fn new(leaves: HashMap<u32, HashSet<u32>>) -> Self {
        AddressRecurrences {
            leaves,
            enabled: std::env::var_os("TERN_NO_ADDRESS_RECURRENCES").is_none(),
            active: None,
        }
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
            (None, Some(&(l, c))) if top_level && l == local => Step::Once(c),
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
                active.stepped.insert(key, (l, c));
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
        if let Some(active) = self.address_recurrences.active.as_mut() {
            active.fast.extend(fast);
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
            // A block that branches to the header more than once (a
            // `br_table` listing the loop several times) must give the phi
            // the same value on each of its edges: LLVM rejects a phi with
            // different values for one predecessor.
            let mut given: Vec<(BasicBlock<'ctx>, IntValue<'ctx>)> = Vec::new();
            if let Some((entry, _)) = shadow.phi.get_incoming(0) {
                given.push((active.preheader, entry.into_int_value()));
            }
            let mut preheader_seen = false;
            for &block in &edges {
                if block == active.preheader && !preheader_seen {
                    preheader_seen = true;
                    continue;
                }
                if let Some(&(_, value)) = given.iter().find(|(b, _)| *b == block) {
                    shadow.phi.add_incoming(&[(&value, block)]);
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
                given.push((block, value));
                shadow.phi.add_incoming(&[(&value, block)]);
            }
        }
        Ok(())
    }
}

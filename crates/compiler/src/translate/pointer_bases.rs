//! Pointer bases: inside a leaf loop, memory accesses whose address comes
//! from different locals reach memory through different (opaque) copies of
//! the memory base, so LLVM's loop vectorizer can tell the arrays apart.
//!
//! Why: every access is `memory_base + zext(index)`, so to LLVM all of them
//! point into one object. The loop access analysis then checks dependences
//! between *every* pair of accesses; two arrays reached through unrelated
//! locals (`b[j]`, `c[j]`) have a distance it cannot compute, and from then
//! on it drops its grouping of neighbouring accesses and asks for a runtime
//! check between every pair, including `c[j]` against `c[j+1]` of a loop
//! clang unrolled by two. That check always fails, and the vectorized loop
//! never runs (matmul: 3.5x native). Native code does not have the problem:
//! its arrays are different objects (`malloc` results).
//!
//! What: in a leaf loop (one with no loop inside), an access whose index is
//! derived from exactly one local `p` (`p`, `p + 4`, `p + (j << 2)`, or a
//! local set from those in the same straight-line code) uses a copy of the
//! memory base made for `p`: `call ptr asm "", "=r,0,i"(base, id)`. The copy
//! is the same address at run time — correctness never depends on which copy
//! an access uses — but LLVM cannot see through it, so each copy is its own
//! underlying object: the vectorizer analyses the accesses through one copy
//! together (grouping `c[j]`, `c[j+1]`) and separates arrays with a cheap
//! runtime overlap check, as for native code. A loop whose accesses all go
//! through one local gets no copy (nothing to separate).
//!
//! When an index mixes two locals (`base + i`) the one the loop never
//! assigns is the base; otherwise the access keeps the plain memory base.
//!
//! Cost: one register per copy in the loop; an alias query between accesses
//! through different copies answers "may alias" where offsets from one base
//! might have proven "no alias".

use super::env::enum_attribute;
use crate::error::{CompileError, Result};
use crate::parse::malformed;
use inkwell::attributes::AttributeLoc;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::values::{AsValueRef, CallSiteValue, IntValue, PointerValue};
use inkwell::InlineAsmDialect;
use std::collections::{HashMap, HashSet};
use wasmparser::{FunctionBody, Operator};

/// The locals each leaf loop of a function assigns, by the loop's byte offset.
pub(super) fn leaf_loops(body: &FunctionBody<'_>) -> Result<HashMap<u32, HashSet<u32>>> {
    /// An open frame: for a loop, its offset, whether a loop is nested in
    /// it, and the locals it assigns.
    struct Frame {
        loop_at: Option<u32>,
        nested: bool,
        assigned: HashSet<u32>,
    }
    let mut leaves = HashMap::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut reader = body.get_operators_reader().map_err(malformed)?;
    while !reader.eof() {
        let offset = reader.original_position() as u32;
        let op = reader.read().map_err(malformed)?;
        match op {
            Operator::Loop { .. } => {
                for f in frames.iter_mut() {
                    f.nested = true;
                }
                frames.push(Frame {
                    loop_at: Some(offset),
                    nested: false,
                    assigned: HashSet::new(),
                });
            }
            Operator::Block { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => frames.push(Frame {
                loop_at: None,
                nested: false,
                assigned: HashSet::new(),
            }),
            Operator::End | Operator::Delegate { .. } => {
                if let Some(f) = frames.pop() {
                    if let (Some(at), false) = (f.loop_at, f.nested) {
                        leaves.insert(at, f.assigned);
                    }
                }
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                for f in frames.iter_mut() {
                    f.assigned.insert(local_index);
                }
            }
            _ => {}
        }
    }
    Ok(leaves)
}

/// A copy of a memory base, and the base.
pub(super) struct BaseCopy<'ctx> {
    copy: PointerValue<'ctx>,
    base: PointerValue<'ctx>,
}

/// The leaf loop being translated.
struct ActiveLoop<'ctx> {
    /// Locals the loop assigns.
    assigned: HashSet<u32>,
    /// Open frames inside the loop (the loop's own `end` closes it at 0).
    depth: u32,
    /// The base copy made for each (local, memory) so far, with the base.
    copies: HashMap<(u32, u32), BaseCopy<'ctx>>,
    /// Memories the loop accesses through the plain memory base.
    plain: HashSet<u32>,
}

impl<'ctx> ActiveLoop<'ctx> {
    /// The copies of a memory that has only one way in (one copy and no
    /// plain access): they separate nothing and only cost a register.
    fn useless_copies(self) -> Vec<BaseCopy<'ctx>> {
        let mut per_memory: HashMap<u32, Vec<BaseCopy<'ctx>>> = HashMap::new();
        for ((_, memory), copy) in self.copies {
            per_memory.entry(memory).or_default().push(copy);
        }
        per_memory
            .into_iter()
            .filter(|(memory, copies)| copies.len() == 1 && !self.plain.contains(memory))
            .flat_map(|(_, copies)| copies)
            .collect()
    }
}

/// Pointer-base state of one function (see the module docs).
pub(super) struct PointerBases<'ctx> {
    /// Leaf loops by offset, with the locals each assigns.
    leaves: HashMap<u32, HashSet<u32>>,
    /// The leaf loop being translated, if any.
    active: Option<ActiveLoop<'ctx>>,
    /// The local each `i32` value inside the active loop derives from.
    origins: HashMap<LLVMValueRef, u32>,
    /// Locals set (in the current straight-line code) from a derived value.
    local_origins: HashMap<u32, u32>,
    /// Copies made so far in the function (numbers the asm operands apart).
    made: u32,
}

impl<'ctx> PointerBases<'ctx> {
    /// The state for a function `body`.
    ///
    /// # Errors
    /// `Malformed` if the body cannot be read.
    pub(super) fn new(body: &FunctionBody<'_>) -> Result<Self> {
        Ok(PointerBases {
            leaves: leaf_loops(body)?,
            active: None,
            origins: HashMap::new(),
            local_origins: HashMap::new(),
            made: 0,
        })
    }

    /// Tracks structured control (live or dead code alike): entering and
    /// leaving leaf loops. Straight-line facts about locals end at every
    /// control operator. Returns the copies of a leaf loop that just ended
    /// that separate nothing (see [`EndedLoop::useless_copies`]).
    pub(super) fn on_control(&mut self, op: &Operator<'_>, offset: u32) -> Vec<BaseCopy<'ctx>> {
        use Operator as O;
        let opens = matches!(
            op,
            O::Block { .. } | O::If { .. } | O::Loop { .. } | O::Try { .. } | O::TryTable { .. }
        );
        let closes = matches!(op, O::End | O::Delegate { .. });
        let arms = matches!(op, O::Else | O::Catch { .. } | O::CatchAll);
        if opens || closes || arms {
            self.local_origins.clear();
        }
        if let Some(active) = self.active.as_mut() {
            if opens {
                active.depth += 1;
            } else if closes {
                if active.depth == 0 {
                    let ended = self.active.take();
                    self.origins.clear();
                    return ended.map(|a| a.useless_copies()).unwrap_or_default();
                }
                active.depth -= 1;
            }
        } else if let (O::Loop { .. }, Some(assigned)) = (op, self.leaves.get(&offset)) {
            self.active = Some(ActiveLoop {
                assigned: assigned.clone(),
                depth: 0,
                copies: HashMap::new(),
                plain: HashSet::new(),
            });
        }
        Vec::new()
    }

    /// `local.get local` produced `value`.
    pub(super) fn on_local_get(&mut self, local: u32, value: IntValue<'_>) {
        if self.active.is_some() {
            let origin = self.local_origins.get(&local).copied().unwrap_or(local);
            self.origins.insert(value.as_value_ref(), origin);
        }
    }

    /// `local.set local` (or `local.tee`) stored `value`.
    pub(super) fn on_local_set(&mut self, local: u32, value: IntValue<'_>) {
        if self.active.is_none() {
            return;
        }
        match self.origins.get(&value.as_value_ref()) {
            Some(&origin) if origin != local => {
                self.local_origins.insert(local, origin);
            }
            _ => {
                self.local_origins.remove(&local);
            }
        }
    }

    /// `sum = lhs + rhs` (`i32`): the sum derives from the local one side
    /// derives from; of two, from the one the loop never assigns.
    pub(super) fn on_add(&mut self, lhs: IntValue<'_>, rhs: IntValue<'_>, sum: IntValue<'_>) {
        let Some(active) = self.active.as_ref() else {
            return;
        };
        let l = self.origins.get(&lhs.as_value_ref()).copied();
        let r = self.origins.get(&rhs.as_value_ref()).copied();
        let invariant = |x: u32| !active.assigned.contains(&x);
        let origin = match (l, r) {
            (Some(x), None) | (None, Some(x)) => Some(x),
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(x), Some(y)) if invariant(x) && !invariant(y) => Some(x),
            (Some(x), Some(y)) if invariant(y) && !invariant(x) => Some(y),
            _ => None,
        };
        if let Some(origin) = origin {
            self.origins.insert(sum.as_value_ref(), origin);
        }
    }

    /// The base copy for an access to `memory` at `index`, if the index
    /// derives from one local inside a leaf loop; made with `entry`, the
    /// builder of the function's hoisted vmctx loads, which dominates every use.
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn base_for(
        &mut self,
        context: &'ctx Context,
        entry: &Builder<'ctx>,
        memory: u32,
        base: PointerValue<'ctx>,
        index: IntValue<'_>,
    ) -> Result<Option<PointerValue<'ctx>>> {
        let Some(active) = self.active.as_mut() else {
            return Ok(None);
        };
        let Some(&local) = self.origins.get(&index.as_value_ref()) else {
            active.plain.insert(memory);
            return Ok(None);
        };
        if let Some(copy) = active.copies.get(&(local, memory)) {
            return Ok(Some(copy.copy));
        }
        let ptr_ty = context.ptr_type(Default::default());
        let i32_ty = context.i32_type();
        let fn_ty = ptr_ty.fn_type(&[ptr_ty.into(), i32_ty.into()], false);
        let asm = context.create_inline_asm(
            fn_ty,
            String::new(),
            "=r,0,i".into(),
            false,
            false,
            Some(InlineAsmDialect::ATT),
            false,
        );
        let id = i32_ty.const_int(u64::from(self.made), false);
        self.made += 1;
        let call = entry.build_indirect_call(fn_ty, asm, &[base.into(), id.into()], "base_copy")?;
        mark_pure(context, call);
        let copy = call
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CompileError::Codegen("base copy returns a pointer".into()))?
            .into_pointer_value();
        active
            .copies
            .insert((local, memory), BaseCopy { copy, base });
        Ok(Some(copy))
    }
}

impl<'ctx> super::func_translator::FuncTranslator<'_, '_, 'ctx> {
    /// The base for an access to 32-bit `memory` at `index`: a leaf loop's
    /// copy for the local `index` derives from, or `base` itself.
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn access_base(
        &mut self,
        memory: u32,
        base: PointerValue<'ctx>,
        index: IntValue<'ctx>,
    ) -> Result<PointerValue<'ctx>> {
        let copy = self.pointer_bases.base_for(
            self.env.context,
            &self.field_builder,
            memory,
            base,
            index,
        )?;
        Ok(copy.unwrap_or(base))
    }

    /// Tracks `op` (see [`PointerBases::on_control`]) and puts the plain
    /// memory base back in place of copies that separate nothing.
    pub(super) fn track_pointer_bases(&mut self, op: &Operator<'_>, offset: u32) -> Result<()> {
        for BaseCopy { copy, base } in self.pointer_bases.on_control(op, offset) {
            let call = copy
                .as_instruction()
                .ok_or_else(|| CompileError::Codegen("base copy is an instruction".into()))?;
            copy.replace_all_uses_with(base);
            call.erase_from_basic_block();
        }
        Ok(())
    }
}

/// Tells LLVM the copy reads and writes no memory and always returns, so it
/// moves and deletes like arithmetic.
/// (`memory(none)` is the `memory` attribute with value 0.)
fn mark_pure<'ctx>(context: &'ctx Context, call: CallSiteValue<'ctx>) {
    for name in ["memory", "nounwind", "willreturn"] {
        call.add_attribute(AttributeLoc::Function, enum_attribute(context, name));
    }
}

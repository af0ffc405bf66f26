//! Operator dispatch: skips unreachable code, offers each operator to the
//! numeric and SIMD lowerings, and lowers the rest (control, variables,
//! calls, memory, tables) itself. Anything left is `Unsupported`.

use super::func_translator::FuncTranslator;
use super::memory::Extend;
use super::ops::{numeric, simd, LoweringCx};
use crate::error::{CompileError, Result};
use wasmparser::Operator;

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Lowers one (already validated) operator at byte `offset`.
    ///
    /// # Errors
    /// `Unsupported` for operators tern does not lower; LLVM errors.
    pub(super) fn translate_operator(&mut self, op: &Operator<'_>, offset: usize) -> Result<()> {
        self.address_facts.on_control(op);
        self.address_split.on_control(op, offset as u32);
        self.address_lookback.before(op);
        self.track_pointer_bases(op, offset as u32)?;
        if !self.reachable {
            return self.translate_unreachable_operator(op);
        }
        self.position = offset as u32;
        let result = self.translate_live_operator(op, offset);
        self.address_lookback.after(op);
        result
    }

    /// Lowers one reachable operator (see [`Self::translate_operator`]).
    fn translate_live_operator(&mut self, op: &Operator<'_>, offset: usize) -> Result<()> {
        if matches!(op, Operator::I32Add) {
            return self.translate_i32_add(op);
        }
        if tracks_bounds(op) {
            return self.translate_bounded(op);
        }
        if numeric::translate_numeric(self, op)? || simd::translate_simd(self, op)? {
            return Ok(());
        }
        if self.translate_control_or_variable(op)?
            || self.translate_memory_operator(op)?
            || self.translate_atomic_operator(op)?
        {
            return Ok(());
        }
        if crate::parse::gc::is_gc_operator(op) {
            return Err(crate::parse::gc::gc_operator(op));
        }
        Err(CompileError::Unsupported {
            feature: format!(
                "operator `{}` (at byte offset {offset:#x})",
                operator_name(op)
            ),
        })
    }

    /// `i32.add`: `add nuw` when the address facts allow it; the pointer
    /// bases learn what the sum derives from.
    fn translate_i32_add(&mut self, op: &Operator<'_>) -> Result<()> {
        let operands = match self.stack[..] {
            [.., lhs, rhs] => Some((lhs.into_int_value(), rhs.into_int_value())),
            _ => None,
        };
        let before = self.stack.len().saturating_sub(2);
        let values = self.stack[before..].to_vec();
        let nuw = self.translate_address_add()?;
        if !nuw {
            numeric::translate_numeric(self, op)?;
        }
        if let (Some((lhs, rhs)), Some(sum)) = (operands, self.stack.last()) {
            let sum = sum.into_int_value();
            self.pointer_bases.on_add(lhs, rhs, sum);
            self.address_split.on_value(op, &values, sum);
            if !nuw {
                self.address_split.on_add(lhs, rhs, sum);
                self.address_lookback.on_add(lhs, rhs, sum);
            }
            self.recurrences_on_add(lhs, rhs, sum, nuw)?;
        }
        Ok(())
    }

    /// An operator whose `i32` result the address splits bound (masks,
    /// shifts, narrow loads): translated as usual, then the bound learnt.
    fn translate_bounded(&mut self, op: &Operator<'_>) -> Result<()> {
        let before = self.stack.len().saturating_sub(2);
        let values = self.stack[before..].to_vec();
        let done = numeric::translate_numeric(self, op)? || self.translate_memory_operator(op)?;
        if !done {
            return Err(CompileError::Codegen(format!(
                "operator `{}` not lowered",
                operator_name(op)
            )));
        }
        if let Some(result) = self.stack.last().filter(|v| v.is_int_value()) {
            let result = result.into_int_value();
            self.address_split.on_value(op, &values, result);
        }
        Ok(())
    }

    /// In dead code only nesting matters: count opened blocks, and resume at
    /// the `else`/`end` of the frame that became unreachable.
    fn translate_unreachable_operator(&mut self, op: &Operator<'_>) -> Result<()> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                self.dead_depth += 1;
            }
            Operator::Else if self.dead_depth == 0 => self.translate_else()?,
            Operator::Catch { tag_index } if self.dead_depth == 0 => {
                self.translate_legacy_catch(Some(*tag_index))?
            }
            Operator::CatchAll if self.dead_depth == 0 => self.translate_legacy_catch(None)?,
            Operator::End if self.dead_depth == 0 => self.translate_end()?,
            Operator::Delegate { relative_depth } if self.dead_depth == 0 => {
                self.translate_legacy_delegate(*relative_depth)?
            }
            Operator::End | Operator::Delegate { .. } => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    fn translate_control_or_variable(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match op {
            O::Nop => {}
            O::Unreachable => self.translate_trap(tern_environ::TrapCode::Unreachable)?,
            O::Block { blockty } => self.translate_block(*blockty)?,
            O::Loop { blockty } => self.translate_loop(*blockty, self.position)?,
            O::If { blockty } => self.translate_if(*blockty)?,
            O::Else => self.translate_else()?,
            O::End => self.translate_end()?,
            O::Br { relative_depth } => self.translate_br(*relative_depth)?,
            O::BrIf { relative_depth } => self.translate_br_if(*relative_depth)?,
            O::BrTable { targets } => self.translate_br_table(targets)?,
            O::Return => self.translate_return()?,
            O::Call { function_index } => self.translate_call(*function_index)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => self.translate_call_indirect(*type_index, *table_index)?,
            O::CallRef { type_index } => self.translate_call_ref(*type_index)?,
            O::ReturnCall { function_index } => self.translate_return_call(*function_index)?,
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.translate_return_call_indirect(*type_index, *table_index)?,
            O::ReturnCallRef { type_index } => self.translate_return_call_ref(*type_index)?,
            O::RefAsNonNull => self.translate_ref_as_non_null()?,
            O::BrOnNull { relative_depth } => self.translate_br_on_null(*relative_depth)?,
            O::BrOnNonNull { relative_depth } => self.translate_br_on_non_null(*relative_depth)?,
            O::Drop => self.translate_drop(),
            O::Select | O::TypedSelect { .. } => self.translate_select()?,
            O::LocalGet { local_index } => self.translate_local_get(*local_index)?,
            O::LocalSet { local_index } => self.translate_local_set(*local_index, false)?,
            O::LocalTee { local_index } => self.translate_local_set(*local_index, true)?,
            O::GlobalGet { global_index } => self.translate_global_get(*global_index)?,
            O::GlobalSet { global_index } => self.translate_global_set(*global_index)?,
            O::RefNull { .. } => self.translate_ref_null(),
            O::RefIsNull => self.translate_ref_is_null()?,
            O::RefFunc { function_index } => self.translate_ref_func(*function_index)?,
            O::TableGet { table } => self.translate_table_get(*table)?,
            O::TableSet { table } => self.translate_table_set(*table)?,
            O::TableSize { table } => self.translate_table_size(*table)?,
            O::TableGrow { table } => self.translate_table_grow(*table)?,
            O::TableFill { table } => self.translate_table_fill(*table)?,
            O::TableCopy {
                dst_table,
                src_table,
            } => self.translate_table_copy(*dst_table, *src_table)?,
            O::TableInit { elem_index, table } => self.translate_table_init(*table, *elem_index)?,
            O::ElemDrop { elem_index } => self.translate_elem_drop(*elem_index)?,
            O::TryTable { try_table } => self.translate_try_table(try_table)?,
            O::Throw { tag_index } => self.translate_throw(*tag_index)?,
            O::ThrowRef => self.translate_throw_ref()?,
            O::Try { blockty } => self.translate_legacy_try(*blockty)?,
            O::Catch { tag_index } => self.translate_legacy_catch(Some(*tag_index))?,
            O::CatchAll => self.translate_legacy_catch(None)?,
            O::Delegate { relative_depth } => self.translate_legacy_delegate(*relative_depth)?,
            O::Rethrow { relative_depth } => self.translate_rethrow(*relative_depth)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn translate_memory_operator(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Extend::{Signed, Unsigned};
        use Operator as O;
        let cx = self.context();
        let (i8_ty, i16_ty, i32_ty, i64_ty) =
            (cx.i8_type(), cx.i16_type(), cx.i32_type(), cx.i64_type());
        match op {
            O::I32Load { memarg } => self.translate_load(memarg, i32_ty.into())?,
            O::I64Load { memarg } => self.translate_load(memarg, i64_ty.into())?,
            O::F32Load { memarg } => self.translate_load(memarg, cx.f32_type().into())?,
            O::F64Load { memarg } => self.translate_load(memarg, cx.f64_type().into())?,
            O::I32Load8S { memarg } => {
                self.translate_extending_load(memarg, i8_ty, i32_ty, Signed)?
            }
            O::I32Load8U { memarg } => {
                self.translate_extending_load(memarg, i8_ty, i32_ty, Unsigned)?
            }
            O::I32Load16S { memarg } => {
                self.translate_extending_load(memarg, i16_ty, i32_ty, Signed)?
            }
            O::I32Load16U { memarg } => {
                self.translate_extending_load(memarg, i16_ty, i32_ty, Unsigned)?
            }
            O::I64Load8S { memarg } => {
                self.translate_extending_load(memarg, i8_ty, i64_ty, Signed)?
            }
            O::I64Load8U { memarg } => {
                self.translate_extending_load(memarg, i8_ty, i64_ty, Unsigned)?
            }
            O::I64Load16S { memarg } => {
                self.translate_extending_load(memarg, i16_ty, i64_ty, Signed)?
            }
            O::I64Load16U { memarg } => {
                self.translate_extending_load(memarg, i16_ty, i64_ty, Unsigned)?
            }
            O::I64Load32S { memarg } => {
                self.translate_extending_load(memarg, i32_ty, i64_ty, Signed)?
            }
            O::I64Load32U { memarg } => {
                self.translate_extending_load(memarg, i32_ty, i64_ty, Unsigned)?
            }
            O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg } => self.translate_store(memarg)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.translate_truncating_store(memarg, i8_ty)?
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.translate_truncating_store(memarg, i16_ty)?
            }
            O::I64Store32 { memarg } => self.translate_truncating_store(memarg, i32_ty)?,
            O::MemorySize { mem } => self.translate_memory_size(*mem)?,
            O::MemoryGrow { mem } => self.translate_memory_grow(*mem)?,
            O::MemoryFill { mem } => self.translate_memory_fill(*mem)?,
            O::MemoryCopy { dst_mem, src_mem } => self.translate_memory_copy(*dst_mem, *src_mem)?,
            O::MemoryInit { data_index, mem } => self.translate_memory_init(*mem, *data_index)?,
            O::DataDrop { data_index } => self.translate_data_drop(*data_index)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The operator's name as wasmparser spells the variant (`I32Add`, `Try`, ...).
fn operator_name(op: &Operator<'_>) -> String {
    let debug = format!("{op:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Operators [`FuncTranslator::translate_bounded`] handles.
fn tracks_bounds(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::I32And
            | O::I32Or
            | O::I32Xor
            | O::I32Shl
            | O::I32ShrU
            | O::I32RemU
            | O::I32Sub
            | O::I32Load8U { .. }
            | O::I32Load16U { .. }
    )
}

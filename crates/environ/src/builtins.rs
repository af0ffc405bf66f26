//! Every runtime function compiled code may call, listed once.
//!
//! Compiled code calls builtin `NAME` as the C symbol `tern_builtin_NAME`
//! with the context pointer first. The runtime implements each one in its
//! `libcalls` module with exactly this signature. Builtins that can trap do
//! so by unwinding to the innermost host entry (they never return then).

/// A parameter or result type of a builtin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinType {
    /// The `*mut VMContext` (always the first parameter, implicit in the list).
    Pointer,
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
}

/// One builtin's signature: parameters after the context pointer, and the result.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinSignature {
    /// The name; the symbol is `tern_builtin_` + name.
    pub name: &'static str,
    /// Parameters after `vmctx`.
    pub params: &'static [BuiltinType],
    /// Result, if any.
    pub result: Option<BuiltinType>,
    /// Whether the builtin never returns.
    pub noreturn: bool,
}

use BuiltinType::*;

macro_rules! builtins {
    ($( $(#[$doc:meta])* $id:ident = $name:literal ( $($p:ident),* ) $(-> $r:ident)? $(, $nr:ident)? ;)*) => {
        /// Identifies a builtin.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $( $(#[$doc])* $id, )*
        }
        impl Builtin {
            /// Every builtin.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$id),*];
            /// The builtin's signature.
            pub fn signature(self) -> BuiltinSignature {
                match self {
                    $(Builtin::$id => BuiltinSignature {
                        name: $name,
                        params: &[$($p),*],
                        result: builtins!(@ret $($r)?),
                        noreturn: builtins!(@nr $($nr)?),
                    },)*
                }
            }
            /// The C symbol implementing the builtin.
            pub fn symbol(self) -> String {
                format!("tern_builtin_{}", self.signature().name)
            }
        }
    };
    (@ret) => { None };
    (@ret $r:ident) => { Some($r) };
    (@nr) => { false };
    (@nr $nr:ident) => { true };
}

builtins! {
    /// `trap(code: i32) -> !`: raise trap `code` ([`crate::TrapCode`]).
    Trap = "trap"(I32), noreturn;
    /// `memory_grow(mem, delta_pages: i64) -> i64`: old size in pages, or -1.
    MemoryGrow = "memory_grow"(I32, I64) -> I64;
    /// `memory_fill(mem, dst: i64, value: i32, len: i64)`; traps when out of bounds.
    MemoryFill = "memory_fill"(I32, I64, I32, I64);
    /// `memory_copy(dst_mem, src_mem, dst: i64, src: i64, len: i64)`; traps when out of bounds.
    MemoryCopy = "memory_copy"(I32, I32, I64, I64, I64);
    /// `memory_init(mem, data_index, dst: i64, src: i32, len: i32)`; traps when out of bounds.
    MemoryInit = "memory_init"(I32, I32, I64, I32, I32);
    /// `data_drop(data_index)`.
    DataDrop = "data_drop"(I32);
    /// `table_grow(table, init: ptr, delta: i64) -> i64`: old size, or -1.
    TableGrow = "table_grow"(I32, Pointer, I64) -> I64;
    /// `table_fill(table, dst: i64, value: ptr, len: i64)`; traps when out of bounds.
    TableFill = "table_fill"(I32, I64, Pointer, I64);
    /// `table_copy(dst_table, src_table, dst: i64, src: i64, len: i64)`; traps when out of bounds.
    TableCopy = "table_copy"(I32, I32, I64, I64, I64);
    /// `table_init(table, elem_index, dst: i64, src: i32, len: i32)`; traps when out of bounds.
    TableInit = "table_init"(I32, I32, I64, I32, I32);
    /// `elem_drop(elem_index)`.
    ElemDrop = "elem_drop"(I32);
    /// `memory_atomic_notify(mem, addr: i64, count: i32) -> i32`.
    MemoryAtomicNotify = "memory_atomic_notify"(I32, I64, I32) -> I32;
    /// `memory_atomic_wait32(mem, addr: i64, expected: i32, timeout_ns: i64) -> i32`.
    MemoryAtomicWait32 = "memory_atomic_wait32"(I32, I64, I32, I64) -> I32;
    /// `memory_atomic_wait64(mem, addr: i64, expected: i64, timeout_ns: i64) -> i32`.
    MemoryAtomicWait64 = "memory_atomic_wait64"(I32, I64, I64, I64) -> I32;
    /// `poll()`: called when `VMContext::interrupt` is non-zero (checkpoint requests).
    Poll = "poll"();
    /// `cr_poll(position) -> i64`: the slow path of a loop-header poll. -1:
    /// run the loop body; [`CR_POLL_CAPTURE`]: a checkpoint was requested,
    /// save this frame and call `cr_unwind`; otherwise the next step of a
    /// restore's route (`migration::route_answer`). Never unwinds.
    CrPoll = "cr_poll"(I32) -> I64;
    /// `cr_unwind() -> !`: after a poll returned [`CR_POLL_CAPTURE`] and the
    /// frame saved itself (the capture stub then jumps here), unwinds the
    /// frames below it (their landing pads save them) for the checkpoint.
    CrUnwind = "cr_unwind"(), noreturn;
    /// `cr_restore_values() -> ptr`: the slots of the frame being restored.
    CrRestoreValues = "cr_restore_values"() -> Pointer;
    /// `cr_restore_callee(position) -> ptr`: the `VMFuncRef` a restored
    /// `call_indirect` at `position` re-enters (the next frame's function).
    CrRestoreCallee = "cr_restore_callee"(I32) -> Pointer;
    /// `cr_tail_buffer(slots) -> ptr`: with `slots > 0`, a new buffer of
    /// `slots` 16-byte slots for the arguments and results of the tail-resume
    /// call about to be made; with 0, the buffer of the tail-resume call that
    /// just returned (tail-resume calls nest, so this is the latest one still
    /// open). A function that makes tail calls thus needs no frame space or
    /// register for it.
    CrTailBuffer = "cr_tail_buffer"(I32) -> Pointer;
    /// `cr_resume_answer(func) -> i64`: at the entry of function `func`'s
    /// resume version, what the `cr_enter_at` that sent the restore there
    /// answered (a route's first step, or `migration::TAIL_RESUME_ANSWER`).
    CrResumeAnswer = "cr_resume_answer"(I32) -> I64;
    /// `exn_new(tag: ptr, count: i32) -> ptr`: a new exception of tag identity
    /// `tag` with `count` value slots (layout: [`crate::exceptions`]).
    ExnNew = "exn_new"(Pointer, I32) -> Pointer;
    /// `exn_throw(exception: ptr) -> !`: raises the exception (unwinds).
    ExnThrow = "exn_throw"(Pointer), noreturn;
    /// `exn_release(exception: ptr)`: a plain `catch` is done with the
    /// exception's values; frees it unless it was exposed as an exnref.
    ExnRelease = "exn_release"(Pointer);
}

/// What `cr_poll` returns when the polling frame must save itself for a
/// checkpoint (positions are non-negative; -1 means continue).
pub const CR_POLL_CAPTURE: i64 = -2;

/// What the entry handler (`tern_environ::migration::ENTER_AT_SYMBOL`)
/// returns when the stack is really exhausted: the function traps with
/// `call stack exhausted`.
pub const CR_ENTER_OVERFLOW: i64 = -4;

/// What the runtime's entry handler answers its stub
/// (`tern_environ::migration::ENTER_AT_SYMBOL`) once it has saved the
/// entered frame for a checkpoint: the stub then unwinds the frames below
/// instead of returning, so compiled code never sees this value.
pub const ENTER_AT_UNWIND: i64 = -5;

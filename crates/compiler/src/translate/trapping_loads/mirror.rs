//! A read-only copy of the module's functions in the form the analysis
//! needs: instructions as [`Op`]s over numbered values, constants decoded,
//! blocks with their successors and predecessors, and who calls whom.
//!
//! This is the only file of the analysis that reads LLVM's C API. It never
//! changes the module; `super` sets `volatile` through the raw references
//! kept here.

use super::bits::{with_lane, Ty};
use inkwell::llvm_sys::core::*;
use inkwell::llvm_sys::prelude::{LLVMBasicBlockRef, LLVMModuleRef, LLVMTypeRef, LLVMValueRef};
use inkwell::llvm_sys::{LLVMIntPredicate, LLVMOpcode, LLVMRealPredicate, LLVMTypeKind};
use std::collections::HashMap;

/// A value of a function: its parameters first, then its instructions.
pub(super) type Vid = u32;
/// A block of a function.
pub(super) type Bid = u32;

/// A constant: its bits, and which of them are defined (not `undef` or
/// `poison`). Floats are stored as their IEEE bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Konst {
    /// The bits (lane `k` at bits `k * width ..`).
    pub bits: u128,
    /// The defined bits.
    pub defined: u128,
    /// Its type.
    pub ty: Ty,
}

impl Konst {
    /// Whether every bit is defined.
    pub(super) fn is_defined(self) -> bool {
        self.defined == self.ty.all()
    }
}

/// An operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arg {
    /// A parameter or instruction of the same function.
    Val(Vid),
    /// A constant whose bits are known.
    Const(Konst),
    /// Anything else: globals, functions, constant expressions.
    Opaque,
}

/// Integer binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs, reason = "LLVM's own names")]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    UDiv,
    SDiv,
    URem,
    SRem,
    And,
    Or,
    Xor,
    Shl,
    LShr,
    AShr,
}

/// Float binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs, reason = "LLVM's own names")]
pub(super) enum FBinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Casts (and `freeze`, which passes its operand through).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs, reason = "LLVM's own names")]
pub(super) enum CastOp {
    Trunc,
    ZExt,
    SExt,
    FpTrunc,
    FpExt,
    FpToUi,
    FpToSi,
    UiToFp,
    SiToFp,
    BitCast,
    PtrToInt,
    IntToPtr,
    Freeze,
}

/// Integer comparison predicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "LLVM's own names")]
pub(super) enum IPred {
    Eq,
    Ne,
    Ugt,
    Uge,
    Ult,
    Ule,
    Sgt,
    Sge,
    Slt,
    Sle,
}

/// The intrinsics tern emits that the analysis understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs, reason = "LLVM's own names")]
pub(super) enum Intr {
    Fshl,
    Fshr,
    Ctlz,
    Cttz,
    Ctpop,
    Abs,
    SMin,
    SMax,
    UMin,
    UMax,
    /// Saturating add/sub.
    Saturating,
    FAbs,
    CopySign,
    /// `ceil`, `floor`, `trunc`, `roundeven`, `sqrt`, `canonicalize`.
    FUnary,
    /// `minimum`, `maximum` and the x86 `min`/`max` intrinsics.
    FMinMax,
    /// `fptosi.sat`/`fptoui.sat`.
    FpToIntSat,
    Expect,
    ReduceOr,
    /// A pure intrinsic with no rule here: its operands are not demanded.
    Other,
}

/// What a call calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Callee {
    /// An LLVM intrinsic (pure).
    Intrinsic(Intr),
    /// A function defined in this module.
    Defined(u32),
    /// A declared function (a builtin) or a call through a pointer.
    Opaque,
}

/// An instruction (or parameter), reduced to what the analysis uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Op {
    /// Parameter `n`.
    Param(u32),
    /// `args = [x, y]`.
    Bin(BinOp),
    /// `args = [x, y]`.
    FBin(FBinOp),
    /// `args = [x]`.
    FNeg,
    /// `args = [x, y]`.
    ICmp(IPred),
    /// `args = [x, y]`; the predicate as LLVM numbers it (bit 0 equal,
    /// 1 greater, 2 less, 3 unordered).
    FCmp(u8),
    /// `args = [x]`.
    Cast(CastOp),
    /// `args = [cond, if_true, if_false]`.
    Select,
    /// `args` are the incoming values, from these blocks.
    Phi(Vec<Bid>),
    /// `args = [ptr]`; `memory` for WebAssembly linear memory.
    Load {
        /// A linear-memory access (tagged as such by the translator).
        memory: bool,
    },
    /// `args = [value, ptr]`.
    Store {
        /// A linear-memory access.
        memory: bool,
    },
    /// `args = [base, indices...]`.
    Gep,
    /// `args` are the call's arguments.
    Call(Callee),
    /// `args = [vector, index]`.
    ExtractElement,
    /// `args = [vector, scalar, index]`.
    InsertElement,
    /// `args = [a, b]`; lane `i` of the result is lane `mask[i]` of `a`
    /// followed by `b` (negative: poison).
    Shuffle(Vec<i32>),
    /// `args = [aggregate]`.
    ExtractValue(u32),
    /// `args = [aggregate, value]`.
    InsertValue(u32),
    /// `args = [cond]` or none; the successors.
    Br(Vec<Bid>),
    /// `args = [cond, case values...]`; successors: default, then cases.
    Switch(Vec<Bid>),
    /// `args = [value]` or none.
    Ret,
    /// `unreachable`.
    Unreachable,
    /// Anything else.
    Other,
}

/// One value of a function.
#[derive(Clone, Debug)]
pub(super) struct Inst {
    /// What it is.
    pub op: Op,
    /// Its operands.
    pub args: Vec<Arg>,
    /// Its type.
    pub ty: Ty,
    /// Its block (0 for parameters).
    pub block: Bid,
    /// Whether it is a volatile access.
    pub volatile: bool,
    /// The LLVM value.
    pub raw: LLVMValueRef,
}

/// A basic block.
#[derive(Clone, Debug, Default)]
pub(super) struct Block {
    /// Its first value.
    pub start: Vid,
    /// One past its last value (its terminator).
    pub end: Vid,
    /// Its successors, in terminator order (duplicates kept).
    pub succs: Vec<Bid>,
    /// Its predecessors (duplicates removed).
    pub preds: Vec<Bid>,
    /// The landing pad of the `invoke` that ends it, which is also its last
    /// successor. An optimizer deletes that edge once it finds the callee
    /// cannot throw, so nothing there is certain to run.
    pub unwind: Option<Bid>,
}

/// A defined function.
#[derive(Clone, Debug)]
pub(super) struct Func {
    /// Parameters, then instructions block by block.
    pub insts: Vec<Inst>,
    /// The number of parameters.
    pub params: u32,
    /// The blocks; block 0 is the entry.
    pub blocks: Vec<Block>,
    /// The return type.
    pub ret: Ty,
    /// Whether its address is used other than to call it directly (the
    /// runtime, other modules or a table may call it).
    pub escaping: bool,
    /// Its direct call sites: (caller, call instruction).
    pub sites: Vec<(u32, Vid)>,
}

/// The module's defined functions.
pub(super) struct Mirror {
    /// By index; `Callee::Defined` refers to these.
    pub funcs: Vec<Func>,
}

/// Which linear-memory accesses to recognise: the `!tbaa` kind and the tag
/// the translator puts on linear-memory loads and stores.
#[derive(Clone, Copy)]
pub(super) struct MemoryTag {
    /// The `tbaa` metadata kind id.
    pub kind: u32,
    /// The linear-memory access tag, as a value.
    pub tag: LLVMValueRef,
}

/// Reads every function with a body.
pub(super) fn read_module(module: LLVMModuleRef, memory: MemoryTag) -> Mirror {
    // SAFETY: `module` is a live, verified module; every call below only
    // reads it, with values and types obtained from it.
    unsafe {
        let mut raws = Vec::new();
        let mut fn_index = HashMap::new();
        let mut f = LLVMGetFirstFunction(module);
        while !f.is_null() {
            if LLVMIsDeclaration(f) == 0 {
                fn_index.insert(f, raws.len() as u32);
                raws.push(f);
            }
            f = LLVMGetNextFunction(f);
        }
        let mut funcs: Vec<Func> = raws
            .iter()
            .map(|&f| read_function(f, &fn_index, memory))
            .collect();
        for (index, &f) in raws.iter().enumerate() {
            funcs[index].escaping = escapes(f);
        }
        for caller in 0..funcs.len() {
            for v in 0..funcs[caller].insts.len() {
                if let Op::Call(Callee::Defined(callee)) = funcs[caller].insts[v].op {
                    funcs[callee as usize].sites.push((caller as u32, v as Vid));
                }
            }
        }
        Mirror { funcs }
    }
}

/// Whether `f` is used other than as the callee of a direct call.
///
/// # Safety
/// `f` is a live function.
unsafe fn escapes(f: LLVMValueRef) -> bool {
    unsafe {
        let mut u = LLVMGetFirstUse(f);
        while !u.is_null() {
            let user = LLVMGetUser(u);
            let direct = !LLVMIsACallInst(user).is_null() && {
                let n = LLVMGetNumOperands(user);
                n > 0 && LLVMGetOperandUse(user, (n - 1) as u32) == u
            };
            if !direct {
                return true;
            }
            u = LLVMGetNextUse(u);
        }
        false
    }
}

/// Reads one function.
///
/// # Safety
/// `f` is a live function with a body.
unsafe fn read_function(
    f: LLVMValueRef,
    fn_index: &HashMap<LLVMValueRef, u32>,
    memory: MemoryTag,
) -> Func {
    unsafe {
        let params = LLVMCountParams(f);
        let mut ids: HashMap<LLVMValueRef, Vid> = HashMap::new();
        let mut block_ids: HashMap<LLVMBasicBlockRef, Bid> = HashMap::new();
        let mut insts = Vec::new();
        for p in 0..params {
            let raw = LLVMGetParam(f, p);
            ids.insert(raw, p);
            insts.push(Inst {
                op: Op::Param(p),
                args: Vec::new(),
                ty: ty_of(LLVMTypeOf(raw)),
                block: 0,
                volatile: false,
                raw,
            });
        }
        // Number every instruction first: phis refer forward.
        let mut order = Vec::new();
        let mut blocks = Vec::new();
        let mut bb = LLVMGetFirstBasicBlock(f);
        let mut next = params;
        while !bb.is_null() {
            block_ids.insert(bb, blocks.len() as Bid);
            let start = next;
            let mut i = LLVMGetFirstInstruction(bb);
            while !i.is_null() {
                ids.insert(i, next);
                order.push((i, blocks.len() as Bid));
                next += 1;
                i = LLVMGetNextInstruction(i);
            }
            blocks.push(Block {
                start,
                end: next,
                ..Block::default()
            });
            bb = LLVMGetNextBasicBlock(bb);
        }
        for (raw, block) in order {
            let inst = read_instruction(raw, block, &ids, &block_ids, fn_index, memory);
            insts.push(inst);
        }
        for b in 0..blocks.len() {
            let term = &insts[blocks[b].end as usize - 1];
            let succs = if LLVMGetInstructionOpcode(term.raw) == LLVMOpcode::LLVMInvoke {
                let unwind = block_ids[&LLVMGetUnwindDest(term.raw)];
                blocks[b].unwind = Some(unwind);
                vec![block_ids[&LLVMGetNormalDest(term.raw)], unwind]
            } else {
                taken_successors(term)
            };
            for &s in &succs {
                let preds = &mut blocks[s as usize].preds;
                if !preds.contains(&(b as Bid)) {
                    preds.push(b as Bid);
                }
            }
            blocks[b].succs = succs;
        }
        drop_dead_incoming(&mut insts, &blocks);
        let fn_ty = LLVMGlobalGetValueType(f);
        Func {
            insts,
            params,
            blocks,
            ret: ty_of(LLVMGetReturnType(fn_ty)),
            escaping: false,
            sites: Vec::new(),
        }
    }
}

/// Reads one instruction.
///
/// # Safety
/// `raw` is a live instruction of the function `ids` numbers.
unsafe fn read_instruction(
    raw: LLVMValueRef,
    block: Bid,
    ids: &HashMap<LLVMValueRef, Vid>,
    block_ids: &HashMap<LLVMBasicBlockRef, Bid>,
    fn_index: &HashMap<LLVMValueRef, u32>,
    memory: MemoryTag,
) -> Inst {
    use LLVMOpcode as O;
    unsafe {
        let opcode = LLVMGetInstructionOpcode(raw);
        let n = LLVMGetNumOperands(raw).max(0) as u32;
        let operands = |range: std::ops::Range<u32>| -> Vec<Arg> {
            range.map(|i| arg(LLVMGetOperand(raw, i), ids)).collect()
        };
        let successors = || -> Vec<Bid> {
            (0..LLVMGetNumSuccessors(raw))
                .map(|i| block_ids[&LLVMGetSuccessor(raw, i)])
                .collect()
        };
        let is_memory = || {
            let md = LLVMGetMetadata(raw, memory.kind);
            !md.is_null() && md == memory.tag
        };
        let mut volatile = false;
        let (op, args) = match opcode {
            O::LLVMAdd => (Op::Bin(BinOp::Add), operands(0..2)),
            O::LLVMSub => (Op::Bin(BinOp::Sub), operands(0..2)),
            O::LLVMMul => (Op::Bin(BinOp::Mul), operands(0..2)),
            O::LLVMUDiv => (Op::Bin(BinOp::UDiv), operands(0..2)),
            O::LLVMSDiv => (Op::Bin(BinOp::SDiv), operands(0..2)),
            O::LLVMURem => (Op::Bin(BinOp::URem), operands(0..2)),
            O::LLVMSRem => (Op::Bin(BinOp::SRem), operands(0..2)),
            O::LLVMAnd => (Op::Bin(BinOp::And), operands(0..2)),
            O::LLVMOr => (Op::Bin(BinOp::Or), operands(0..2)),
            O::LLVMXor => (Op::Bin(BinOp::Xor), operands(0..2)),
            O::LLVMShl => (Op::Bin(BinOp::Shl), operands(0..2)),
            O::LLVMLShr => (Op::Bin(BinOp::LShr), operands(0..2)),
            O::LLVMAShr => (Op::Bin(BinOp::AShr), operands(0..2)),
            O::LLVMFAdd => (Op::FBin(FBinOp::Add), operands(0..2)),
            O::LLVMFSub => (Op::FBin(FBinOp::Sub), operands(0..2)),
            O::LLVMFMul => (Op::FBin(FBinOp::Mul), operands(0..2)),
            O::LLVMFDiv => (Op::FBin(FBinOp::Div), operands(0..2)),
            O::LLVMFRem => (Op::FBin(FBinOp::Rem), operands(0..2)),
            O::LLVMFNeg => (Op::FNeg, operands(0..1)),
            O::LLVMICmp => (Op::ICmp(ipred(LLVMGetICmpPredicate(raw))), operands(0..2)),
            O::LLVMFCmp => (Op::FCmp(fpred(LLVMGetFCmpPredicate(raw))), operands(0..2)),
            O::LLVMTrunc => (Op::Cast(CastOp::Trunc), operands(0..1)),
            O::LLVMZExt => (Op::Cast(CastOp::ZExt), operands(0..1)),
            O::LLVMSExt => (Op::Cast(CastOp::SExt), operands(0..1)),
            O::LLVMFPTrunc => (Op::Cast(CastOp::FpTrunc), operands(0..1)),
            O::LLVMFPExt => (Op::Cast(CastOp::FpExt), operands(0..1)),
            O::LLVMFPToUI => (Op::Cast(CastOp::FpToUi), operands(0..1)),
            O::LLVMFPToSI => (Op::Cast(CastOp::FpToSi), operands(0..1)),
            O::LLVMUIToFP => (Op::Cast(CastOp::UiToFp), operands(0..1)),
            O::LLVMSIToFP => (Op::Cast(CastOp::SiToFp), operands(0..1)),
            O::LLVMBitCast => (Op::Cast(CastOp::BitCast), operands(0..1)),
            O::LLVMPtrToInt => (Op::Cast(CastOp::PtrToInt), operands(0..1)),
            O::LLVMIntToPtr => (Op::Cast(CastOp::IntToPtr), operands(0..1)),
            O::LLVMFreeze => (Op::Cast(CastOp::Freeze), operands(0..1)),
            O::LLVMSelect => (Op::Select, operands(0..3)),
            O::LLVMPHI => {
                let count = LLVMCountIncoming(raw);
                let blocks = (0..count)
                    .map(|i| block_ids[&LLVMGetIncomingBlock(raw, i)])
                    .collect();
                (Op::Phi(blocks), operands(0..count))
            }
            O::LLVMLoad => {
                volatile = LLVMGetVolatile(raw) != 0;
                (
                    Op::Load {
                        memory: is_memory(),
                    },
                    operands(0..1),
                )
            }
            O::LLVMStore => {
                volatile = LLVMGetVolatile(raw) != 0;
                (
                    Op::Store {
                        memory: is_memory(),
                    },
                    operands(0..2),
                )
            }
            O::LLVMGetElementPtr => (Op::Gep, operands(0..n)),
            // An `invoke` (a call inside `try_table`) is a call that ends its
            // block; its successors are read with the block's.
            O::LLVMCall | O::LLVMInvoke => {
                let count = LLVMGetNumArgOperands(raw);
                let callee = LLVMGetCalledValue(raw);
                (Op::Call(callee_of(callee, fn_index)), operands(0..count))
            }
            O::LLVMExtractElement => (Op::ExtractElement, operands(0..2)),
            O::LLVMInsertElement => (Op::InsertElement, operands(0..3)),
            O::LLVMShuffleVector => {
                let lanes = LLVMGetNumMaskElements(raw);
                let undef = LLVMGetUndefMaskElem();
                let mask = (0..lanes)
                    .map(|i| {
                        let m = LLVMGetMaskValue(raw, i);
                        if m == undef {
                            -1
                        } else {
                            m
                        }
                    })
                    .collect();
                (Op::Shuffle(mask), operands(0..2))
            }
            O::LLVMExtractValue => (Op::ExtractValue(first_index(raw)), operands(0..1)),
            O::LLVMInsertValue => (Op::InsertValue(first_index(raw)), operands(0..2)),
            O::LLVMBr => {
                let args = if LLVMIsConditional(raw) != 0 {
                    vec![arg(LLVMGetCondition(raw), ids)]
                } else {
                    Vec::new()
                };
                (Op::Br(successors()), args)
            }
            O::LLVMSwitch => {
                // Operands: condition, default, then (value, destination) pairs.
                let mut args = vec![arg(LLVMGetOperand(raw, 0), ids)];
                args.extend((2..n).step_by(2).map(|i| arg(LLVMGetOperand(raw, i), ids)));
                (Op::Switch(successors()), args)
            }
            O::LLVMRet => (Op::Ret, operands(0..n)),
            O::LLVMUnreachable => (Op::Unreachable, Vec::new()),
            _ => (Op::Other, operands(0..n)),
        };
        Inst {
            op,
            args,
            ty: ty_of(LLVMTypeOf(raw)),
            block,
            volatile,
            raw,
        }
    }
}

/// The successors a terminator can go to. A branch or switch on a constant
/// goes only where the constant says (LLVM folds it before anything else,
/// and the code on the other side, with the uses of values there, is
/// deleted); on `undef` or `poison` nowhere, since an optimizer may pick
/// either side.
fn taken_successors(term: &Inst) -> Vec<Bid> {
    let (Op::Br(succs) | Op::Switch(succs)) = &term.op else {
        return Vec::new();
    };
    let Some(Arg::Const(k)) = term.args.first() else {
        return succs.clone();
    };
    if !k.is_defined() {
        return Vec::new();
    }
    let taken = match &term.op {
        Op::Br(_) => usize::from(k.bits & 1 == 0),
        // Successors: default, then one per case value (`args[1..]`).
        _ => term.args[1..]
            .iter()
            .position(|case| matches!(case, Arg::Const(c) if c.bits == k.bits))
            .map_or(0, |i| i + 1),
    };
    succs.get(taken).map_or_else(Vec::new, |&s| vec![s])
}

/// Removes from every phi the values coming along edges that
/// [`taken_successors`] found dead.
fn drop_dead_incoming(insts: &mut [Inst], blocks: &[Block]) {
    for inst in insts.iter_mut() {
        let Op::Phi(from) = &inst.op else { continue };
        let here = inst.block;
        let live: Vec<bool> = from
            .iter()
            .map(|&b| blocks[b as usize].succs.contains(&here))
            .collect();
        if live.iter().all(|&l| l) {
            continue;
        }
        let keep = |i: usize| live[i];
        let from: Vec<Bid> = from
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, b)| *b)
            .collect();
        inst.args = inst
            .args
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, a)| *a)
            .collect();
        inst.op = Op::Phi(from);
    }
}

/// The first index of an `extractvalue`/`insertvalue` (tern's aggregates
/// are flat).
///
/// # Safety
/// `raw` is an `extractvalue` or `insertvalue`.
unsafe fn first_index(raw: LLVMValueRef) -> u32 {
    unsafe {
        if LLVMGetNumIndices(raw) == 0 {
            return 0;
        }
        *LLVMGetIndices(raw)
    }
}

/// What a call's callee is.
///
/// # Safety
/// `callee` is the called operand of a live call.
unsafe fn callee_of(callee: LLVMValueRef, fn_index: &HashMap<LLVMValueRef, u32>) -> Callee {
    unsafe {
        if LLVMIsAFunction(callee).is_null() {
            return Callee::Opaque;
        }
        if let Some(&index) = fn_index.get(&callee) {
            return Callee::Defined(index);
        }
        if LLVMGetIntrinsicID(callee) == 0 {
            return Callee::Opaque;
        }
        let mut len = 0;
        let name = LLVMGetValueName2(callee, &mut len);
        let name = std::slice::from_raw_parts(name.cast::<u8>(), len);
        Callee::Intrinsic(intrinsic(&String::from_utf8_lossy(name)))
    }
}

/// Classifies an intrinsic by name (`llvm.umin.i32`, ...).
fn intrinsic(name: &str) -> Intr {
    let base = name.strip_prefix("llvm.").unwrap_or(name);
    let family = |prefix: &str| base == prefix || base.starts_with(&format!("{prefix}."));
    match () {
        _ if family("fshl") => Intr::Fshl,
        _ if family("fshr") => Intr::Fshr,
        _ if family("ctlz") => Intr::Ctlz,
        _ if family("cttz") => Intr::Cttz,
        _ if family("ctpop") => Intr::Ctpop,
        _ if family("abs") => Intr::Abs,
        _ if family("smin") => Intr::SMin,
        _ if family("smax") => Intr::SMax,
        _ if family("umin") => Intr::UMin,
        _ if family("umax") => Intr::UMax,
        _ if ["sadd.sat", "uadd.sat", "ssub.sat", "usub.sat"]
            .iter()
            .any(|p| family(p)) =>
        {
            Intr::Saturating
        }
        _ if family("fabs") => Intr::FAbs,
        _ if family("copysign") => Intr::CopySign,
        _ if [
            "ceil",
            "floor",
            "trunc",
            "roundeven",
            "sqrt",
            "canonicalize",
        ]
        .iter()
        .any(|p| family(p)) =>
        {
            Intr::FUnary
        }
        _ if ["minimum", "maximum"].iter().any(|p| family(p)) => Intr::FMinMax,
        _ if base.starts_with("x86.sse.min")
            || base.starts_with("x86.sse.max")
            || base.starts_with("x86.sse2.min")
            || base.starts_with("x86.sse2.max") =>
        {
            Intr::FMinMax
        }
        _ if family("fptosi.sat") || family("fptoui.sat") => Intr::FpToIntSat,
        _ if family("expect") => Intr::Expect,
        _ if family("vector.reduce.or") => Intr::ReduceOr,
        _ => Intr::Other,
    }
}

/// An operand as an [`Arg`].
///
/// # Safety
/// `value` is an operand of an instruction of the function `ids` numbers.
unsafe fn arg(value: LLVMValueRef, ids: &HashMap<LLVMValueRef, Vid>) -> Arg {
    unsafe {
        if let Some(&id) = ids.get(&value) {
            return Arg::Val(id);
        }
        match konst(value) {
            Some(k) => Arg::Const(k),
            None => Arg::Opaque,
        }
    }
}

/// Decodes a constant integer, float or vector of them (`undef`/`poison`
/// lanes undefined); `None` for anything else.
///
/// # Safety
/// `value` is a live value.
unsafe fn konst(value: LLVMValueRef) -> Option<Konst> {
    unsafe {
        let ty = ty_of(LLVMTypeOf(value));
        let all = ty.all();
        if ty.bits() == 0 || ty.bits() > 128 {
            return None;
        }
        if LLVMIsUndef(value) != 0 || LLVMIsPoison(value) != 0 {
            return Some(Konst {
                bits: 0,
                defined: 0,
                ty,
            });
        }
        if !LLVMIsAConstantAggregateZero(value).is_null() || LLVMIsNull(value) != 0 {
            return Some(Konst {
                bits: 0,
                defined: all,
                ty,
            });
        }
        if !LLVMIsAConstantInt(value).is_null() {
            if ty.bits() > 64 {
                return None;
            }
            let bits = u128::from(LLVMConstIntGetZExtValue(value)) & all;
            return Some(Konst {
                bits,
                defined: all,
                ty,
            });
        }
        if !LLVMIsAConstantFP(value).is_null() {
            let mut lossy = 0;
            let double = LLVMConstRealGetDouble(value, &mut lossy);
            let bits = if ty.bits() == 32 {
                u128::from((double as f32).to_bits())
            } else {
                u128::from(double.to_bits())
            };
            return Some(Konst {
                bits,
                defined: all,
                ty,
            });
        }
        let is_vector =
            !LLVMIsAConstantDataVector(value).is_null() || !LLVMIsAConstantVector(value).is_null();
        if is_vector {
            let (width, lanes) = (ty.lane_width(), ty.lanes());
            let mut k = Konst {
                bits: 0,
                defined: 0,
                ty,
            };
            for i in 0..lanes {
                let element = LLVMGetAggregateElement(value, i);
                if element.is_null() {
                    return None;
                }
                let e = konst(element)?;
                k.bits = with_lane(k.bits, width, i, e.bits as u64);
                k.defined = with_lane(k.defined, width, i, e.defined as u64);
            }
            return Some(k);
        }
        None
    }
}

/// The analysis type of an LLVM type.
///
/// # Safety
/// `ty` is a live type.
unsafe fn ty_of(ty: LLVMTypeRef) -> Ty {
    use LLVMTypeKind as K;
    unsafe {
        let narrow = |x: u32| u8::try_from(x).ok();
        match LLVMGetTypeKind(ty) {
            K::LLVMIntegerTypeKind => match narrow(LLVMGetIntTypeWidth(ty)) {
                Some(width) if width <= 64 => Ty::Int { lanes: 1, width },
                _ => Ty::Other,
            },
            K::LLVMFloatTypeKind => Ty::Float {
                lanes: 1,
                width: 32,
            },
            K::LLVMDoubleTypeKind => Ty::Float {
                lanes: 1,
                width: 64,
            },
            K::LLVMPointerTypeKind => Ty::Ptr,
            K::LLVMVoidTypeKind => Ty::Void,
            K::LLVMStructTypeKind => {
                narrow(LLVMCountStructElementTypes(ty)).map_or(Ty::Other, Ty::Struct)
            }
            K::LLVMVectorTypeKind => {
                let lanes = narrow(LLVMGetVectorSize(ty));
                let element = ty_of(LLVMGetElementType(ty));
                let ty = match (lanes, element) {
                    (Some(lanes), Ty::Int { width, .. }) => Ty::Int { lanes, width },
                    (Some(lanes), Ty::Float { width, .. }) => Ty::Float { lanes, width },
                    _ => Ty::Other,
                };
                if ty.bits() > 128 {
                    Ty::Other
                } else {
                    ty
                }
            }
            _ => Ty::Other,
        }
    }
}

fn ipred(p: LLVMIntPredicate) -> IPred {
    use LLVMIntPredicate as P;
    match p {
        P::LLVMIntEQ => IPred::Eq,
        P::LLVMIntNE => IPred::Ne,
        P::LLVMIntUGT => IPred::Ugt,
        P::LLVMIntUGE => IPred::Uge,
        P::LLVMIntULT => IPred::Ult,
        P::LLVMIntULE => IPred::Ule,
        P::LLVMIntSGT => IPred::Sgt,
        P::LLVMIntSGE => IPred::Sge,
        P::LLVMIntSLT => IPred::Slt,
        P::LLVMIntSLE => IPred::Sle,
    }
}

fn fpred(p: LLVMRealPredicate) -> u8 {
    use LLVMRealPredicate as P;
    match p {
        P::LLVMRealPredicateFalse => 0,
        P::LLVMRealOEQ => 1,
        P::LLVMRealOGT => 2,
        P::LLVMRealOGE => 3,
        P::LLVMRealOLT => 4,
        P::LLVMRealOLE => 5,
        P::LLVMRealONE => 6,
        P::LLVMRealORD => 7,
        P::LLVMRealUNO => 8,
        P::LLVMRealUEQ => 9,
        P::LLVMRealUGT => 10,
        P::LLVMRealUGE => 11,
        P::LLVMRealULT => 12,
        P::LLVMRealULE => 13,
        P::LLVMRealUNE => 14,
        P::LLVMRealPredicateTrue => 15,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsic_names() {
        assert_eq!(intrinsic("llvm.umin.i32"), Intr::UMin);
        assert_eq!(intrinsic("llvm.usub.sat.v8i16"), Intr::Saturating);
        assert_eq!(intrinsic("llvm.fptosi.sat.i32.f32"), Intr::FpToIntSat);
        assert_eq!(intrinsic("llvm.x86.sse2.min.pd"), Intr::FMinMax);
        assert_eq!(intrinsic("llvm.frameaddress.p0"), Intr::Other);
        assert_eq!(intrinsic("llvm.trunc.f64"), Intr::FUnary);
    }
}

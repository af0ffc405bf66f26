//! Which locals are live at each migration point of a function.
//!
//! A checkpoint saves, and a restore reloads, only the locals a point's
//! continuation can read before writing them; the others restore as zero.
//! That keeps landing pads and restore blocks small and, more importantly,
//! keeps LLVM from holding dead values in registers across calls.
//!
//! The analysis is the textbook backward dataflow over the function's
//! operators, one node per operator: `live_in = use ∪ (live_out − def)`,
//! `live_out = ∪ live_in(successors)`, iterated to a fixed point (loops
//! converge in a few rounds). Successors follow Wasm's structured control:
//! `br`/`br_if`/`br_table` go to a loop's header or past a block's `end`,
//! `if` to its `else` or `end`, `return` and `unreachable` nowhere. Inside a
//! `try_table`, a call (which may throw) and `throw`/`throw_ref` also lead to
//! every catch clause's label of every enclosing `try_table`. Inside a legacy
//! `try` body they lead to the start of each of its handlers (and of every
//! enclosing `try` body's handlers: a superset, which only saves more). A
//! handler's start defines the try's hidden caught-exception local (if a
//! `rethrow` reads it), which comes after the Wasm locals.

use super::loop_shapes::{
    find_anchor, is_call_dominated, is_counted, is_memory_walk, Counter, LoopFacts, ModuleFacts,
};
use crate::error::Result;
use crate::parse::malformed;
use std::collections::{HashMap, HashSet};
use wasmparser::{FunctionBody, Operator};

/// A set of locals.
#[derive(Clone, PartialEq, Eq)]
struct Set(Vec<u64>);

impl Set {
    fn new(n: usize) -> Set {
        Set(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, i: u32) {
        self.0[i as usize / 64] |= 1 << (i % 64);
    }
    fn remove(&mut self, i: u32) {
        self.0[i as usize / 64] &= !(1 << (i % 64));
    }
    fn union_with(&mut self, other: &Set) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= *b;
        }
    }
    fn members(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for (w, bits) in self.0.iter().enumerate() {
            let mut b = *bits;
            while b != 0 {
                let t = b.trailing_zeros();
                out.push(w as u32 * 64 + t);
                b &= b - 1;
            }
        }
        out
    }
}

/// Live locals at the points of one function, and its loops that need no poll.
pub struct Liveness {
    /// By operator byte offset: live before a `loop`, live after a call.
    at: HashMap<u32, Vec<u32>>,
    /// Live at the function entry.
    entry: Vec<u32>,
    /// Offsets of the loops that do not poll (`loop_shapes.rs`): memory
    /// walks, and counted loops inside other loops.
    bounded: HashSet<u32>,
    /// Counted loops by offset, with their counters (`loop_shapes.rs`):
    /// strip-mined.
    counted: HashMap<u32, Counter>,
    /// Call-anchored loops: loop offset to the offset of its anchor call.
    anchors: HashMap<u32, u32>,
    /// Offsets of the call-dominated loops (`loop_shapes.rs`).
    dominated: HashSet<u32>,
}

impl Liveness {
    /// Whether the loop at `position` is a memory walk, or a counted loop
    /// inside another loop, without calls: it runs a bounded number of
    /// iterations before its enclosing code reaches a point, so it needs no
    /// poll of its own (and stays a clean loop for LLVM's vectorizer).
    pub fn is_bounded_leaf_loop(&self, position: u32) -> bool {
        self.bounded.contains(&position)
    }

    /// The counter of the loop at `position`, if it is a counted loop
    /// without calls and outside any other loop: it polls once per chunk of
    /// rounds (`checkpoint/strip_mining.rs`), not at every round.
    pub fn counter(&self, position: u32) -> Option<Counter> {
        self.counted.get(&position).copied()
    }

    /// The position of the call that anchors the loop at `position`, if the
    /// loop is call-anchored (`loop_shapes.rs`): that call is its only point.
    pub fn anchor(&self, position: u32) -> Option<u32> {
        self.anchors.get(&position).copied()
    }

    /// Whether the loop at `position` is call-dominated (`loop_shapes.rs`):
    /// every iteration calls a function that polls at its entry, so the
    /// header is no point and a restore routes through it by a flag.
    pub fn is_call_dominated(&self, position: u32) -> bool {
        self.dominated.contains(&position)
    }

    /// Live locals at the point at `position` (`None`: the entry).
    pub fn at(&self, position: Option<u32>) -> Vec<u32> {
        match position {
            None => self.entry.clone(),
            Some(p) => self.at.get(&p).cloned().unwrap_or_default(),
        }
    }
}

enum Flow {
    Next,
    Jump(Vec<usize>),
}

struct Node {
    offset: u32,
    uses: Option<u32>,
    defs: Option<u32>,
    /// A hidden local defined on entry (the first node of a legacy handler).
    entry_def: Option<u32>,
    succ: Vec<usize>,
    point: bool,
}

enum Frame {
    Block {
        ends: Vec<usize>,
    },
    /// A `try_table`: a block whose calls and throws may also branch to the
    /// catch labels (depths relative to the frames outside the `try_table`).
    TryTable {
        ends: Vec<usize>,
        catches: Vec<u32>,
    },
    /// A legacy `try`: its body's calls and throws lead to each handler.
    LegacyTry {
        ends: Vec<usize>,
        /// The nodes of the body that may throw.
        throwers: Vec<usize>,
        /// Whether a `catch` was reached (the body is over).
        in_handler: bool,
        /// The hidden local of the caught exception, if `rethrow` reads it.
        caught: Option<u32>,
    },
    Loop {
        header: usize,
        facts: LoopFacts,
    },
    If {
        cond: usize,
        ends: Vec<usize>,
        else_at: Option<usize>,
    },
}

/// Analyzes `body`, whose function has `num_locals` locals (parameters first,
/// then the hidden ones: `caught` maps a legacy `try`'s byte offset to its
/// caught-exception local).
///
/// # Errors
/// `Malformed` if the body cannot be read (validation reports it precisely).
pub fn analyze(
    body: &FunctionBody<'_>,
    num_locals: u32,
    caught: &HashMap<u32, u32>,
    module: &ModuleFacts<'_, '_>,
) -> Result<Liveness> {
    let mut reader = body.get_operators_reader().map_err(malformed)?;
    let mut ops = Vec::new();
    while !reader.eof() {
        let offset = reader.original_position() as u32;
        ops.push((offset, reader.read().map_err(malformed)?));
    }
    let n = ops.len();
    let mut nodes: Vec<Node> = Vec::with_capacity(n);
    // Branch edges whose target (a block's end) is not known yet: (node, frame depth index).
    let mut frames: Vec<Frame> = vec![Frame::Block { ends: Vec::new() }];
    let mut bounded = HashSet::new();
    let mut counted = HashMap::new();
    let mut anchors = HashMap::new();
    let mut dominated = HashSet::new();
    let mut pending_entry_def = None;
    for (i, (offset, op)) in ops.iter().enumerate() {
        let mut node = Node {
            offset: *offset,
            uses: None,
            defs: None,
            entry_def: pending_entry_def.take(),
            succ: Vec::new(),
            point: false,
        };
        let mut flow = Flow::Next;
        let target = |frames: &mut Vec<Frame>, depth: u32, from: usize| -> Option<usize> {
            let index = frames.len().checked_sub(1 + depth as usize)?;
            match &mut frames[index] {
                Frame::Loop { header, facts } => {
                    facts.backedges += 1;
                    Some(*header)
                }
                Frame::Block { ends }
                | Frame::TryTable { ends, .. }
                | Frame::If { ends, .. }
                | Frame::LegacyTry { ends, .. } => {
                    ends.push(from);
                    None
                }
            }
        };
        // A node that may throw inside legacy `try` bodies.
        let throws_in_legacy = |frames: &mut Vec<Frame>, from: usize| {
            for f in frames.iter_mut() {
                if let Frame::LegacyTry {
                    throwers,
                    in_handler: false,
                    ..
                } = f
                {
                    throwers.push(from);
                }
            }
        };
        // The catch labels of every enclosing `try_table` (loop headers
        // returned; block ends recorded in their frames).
        let handler_targets = |frames: &mut Vec<Frame>, from: usize| -> Vec<usize> {
            let mut absolute = Vec::new();
            for (k, f) in frames.iter().enumerate() {
                if let Frame::TryTable { catches, .. } = f {
                    absolute.extend(
                        catches
                            .iter()
                            .filter_map(|d| k.checked_sub(1 + *d as usize)),
                    );
                }
            }
            let mut succ = Vec::new();
            for index in absolute {
                let depth = (frames.len() - 1 - index) as u32;
                succ.extend(target(frames, depth, from));
            }
            succ
        };
        match op {
            Operator::LocalGet { local_index } => node.uses = Some(*local_index),
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                node.defs = Some(*local_index);
                for f in frames.iter_mut() {
                    if let Frame::Loop { facts, .. } = f {
                        *facts.assigned.entry(*local_index).or_default() += 1;
                    }
                }
            }
            Operator::Block { .. } => frames.push(Frame::Block { ends: Vec::new() }),
            Operator::TryTable { try_table } => {
                let catches = try_table
                    .catches
                    .iter()
                    .map(|c| match c {
                        wasmparser::Catch::One { label, .. }
                        | wasmparser::Catch::OneRef { label, .. }
                        | wasmparser::Catch::All { label }
                        | wasmparser::Catch::AllRef { label } => *label,
                    })
                    .collect();
                frames.push(Frame::TryTable {
                    ends: Vec::new(),
                    catches,
                })
            }
            Operator::Throw { .. } | Operator::ThrowRef => {
                throws_in_legacy(&mut frames, i);
                flow = Flow::Jump(handler_targets(&mut frames, i));
            }
            Operator::Rethrow { relative_depth } => {
                node.uses = frames
                    .len()
                    .checked_sub(1 + *relative_depth as usize)
                    .and_then(|k| match &frames[k] {
                        Frame::LegacyTry { caught, .. } => *caught,
                        _ => None,
                    });
                throws_in_legacy(&mut frames, i);
                flow = Flow::Jump(handler_targets(&mut frames, i));
            }
            Operator::Try { .. } => frames.push(Frame::LegacyTry {
                ends: Vec::new(),
                throwers: Vec::new(),
                in_handler: false,
                caught: caught.get(offset).copied(),
            }),
            Operator::Catch { .. } | Operator::CatchAll => {
                if let Some(Frame::LegacyTry {
                    ends,
                    throwers,
                    in_handler,
                    caught,
                }) = frames.last_mut()
                {
                    ends.push(i);
                    *in_handler = true;
                    for t in throwers.iter() {
                        nodes_push_succ(&mut nodes, *t, i + 1);
                    }
                    pending_entry_def = *caught;
                }
                flow = Flow::Jump(Vec::new());
            }
            Operator::Loop { .. } => {
                node.point = true;
                for f in frames.iter_mut() {
                    if let Frame::Loop { facts, .. } = f {
                        facts.inner = true;
                    }
                }
                frames.push(Frame::Loop {
                    header: i,
                    facts: LoopFacts::default(),
                });
            }
            Operator::If { .. } => frames.push(Frame::If {
                cond: i,
                ends: Vec::new(),
                else_at: None,
            }),
            Operator::Else => {
                if let Some(Frame::If { ends, else_at, .. }) = frames.last_mut() {
                    ends.push(i);
                    *else_at = Some(i + 1);
                }
                flow = Flow::Jump(Vec::new());
            }
            Operator::End | Operator::Delegate { .. } => match frames.pop() {
                Some(
                    Frame::Block { ends }
                    | Frame::TryTable { ends, .. }
                    | Frame::LegacyTry { ends, .. },
                ) => {
                    for e in ends {
                        nodes_push_succ(&mut nodes, e, i + 1);
                    }
                }
                Some(Frame::If {
                    cond,
                    ends,
                    else_at,
                }) => {
                    for e in ends {
                        if e == i {
                            continue;
                        }
                        nodes_push_succ(&mut nodes, e, i + 1);
                    }
                    // The false branch: the `else` body, or straight past the end.
                    nodes_push_succ(&mut nodes, cond, else_at.unwrap_or(i + 1));
                }
                Some(Frame::Loop { header, facts }) => {
                    if let Some(counter) = is_counted(&ops, header, i, &facts) {
                        // Inside another loop, whose header is reached after
                        // every run of this one, the counter's bound is
                        // enough: strip mining there costs every entry of
                        // short inner loops (strops 1.042x -> 1.143x).
                        let nested = frames.iter().any(|f| matches!(f, Frame::Loop { .. }));
                        if counter.strip_minable() && !nested {
                            counted.insert(ops[header].0, counter);
                        } else {
                            bounded.insert(ops[header].0);
                        }
                    } else if is_memory_walk(&ops, header, i, &facts, module) {
                        bounded.insert(ops[header].0);
                    } else if let Some(call) = find_anchor(&ops, header, i, &facts, module) {
                        anchors.insert(ops[header].0, ops[call].0);
                    } else if is_call_dominated(&ops, header, i, module) {
                        dominated.insert(ops[header].0);
                    }
                }
                None => {}
            },
            Operator::Br { relative_depth } => {
                let t = target(&mut frames, *relative_depth, i);
                flow = Flow::Jump(t.into_iter().collect());
            }
            Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth } => {
                if let Some(t) = target(&mut frames, *relative_depth, i) {
                    node.succ.push(t);
                }
            }
            Operator::BrTable { targets } => {
                let mut succ = Vec::new();
                let depths: Vec<u32> = targets
                    .targets()
                    .chain(std::iter::once(Ok(targets.default())))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(malformed)?;
                for d in depths {
                    if let Some(t) = target(&mut frames, d, i) {
                        succ.push(t);
                    }
                }
                flow = Flow::Jump(succ);
            }
            Operator::Return
            | Operator::Unreachable
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => flow = Flow::Jump(Vec::new()),
            Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. } => {
                node.point = true;
                throws_in_legacy(&mut frames, i);
                let handlers = handler_targets(&mut frames, i);
                node.succ.extend(handlers);
                let point = module.is_point(op);
                for f in frames.iter_mut() {
                    if let Frame::Loop { facts, .. } = f {
                        facts.calls = true;
                        facts.point_calls += u32::from(point);
                    }
                }
            }
            _ => {}
        }
        match flow {
            Flow::Next => {
                if i + 1 < n {
                    node.succ.push(i + 1)
                }
            }
            Flow::Jump(targets) => node.succ.extend(targets),
        }
        nodes.push(node);
    }
    // The `end` of an `if` with a then-branch ending in `else`: `else`'s edge
    // was recorded in `ends` and points past the `end` (handled above, where
    // `e == i` never holds for `else`).
    let words = num_locals as usize;
    let mut live_in: Vec<Set> = (0..n).map(|_| Set::new(words)).collect();
    let mut live_out: Vec<Set> = (0..n).map(|_| Set::new(words)).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..n).rev() {
            let mut out = Set::new(words);
            for s in &nodes[i].succ {
                if let Some(set) = live_in.get(*s) {
                    out.union_with(set);
                }
            }
            let mut inn = out.clone();
            for d in [nodes[i].defs, nodes[i].entry_def].into_iter().flatten() {
                if d < num_locals {
                    inn.remove(d);
                }
            }
            if let Some(u) = nodes[i].uses.filter(|u| *u < num_locals) {
                inn.insert(u);
            }
            if inn != live_in[i] {
                live_in[i] = inn;
                changed = true;
            }
            live_out[i] = out;
        }
    }
    let mut at = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.point {
            let set = if matches!(ops[i].1, Operator::Loop { .. }) {
                &live_in[i]
            } else {
                &live_out[i]
            };
            at.insert(node.offset, set.members());
        }
    }
    let entry = live_in.first().map(Set::members).unwrap_or_default();
    Ok(Liveness {
        at,
        entry,
        bounded,
        counted,
        anchors,
        dominated,
    })
}

fn nodes_push_succ(nodes: &mut [Node], from: usize, to: usize) {
    if let Some(node) = nodes.get_mut(from) {
        node.succ.push(to);
    }
}

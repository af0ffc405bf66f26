//! Restoring: re-entering the saved frames, bottom first.
//!
//! The runtime calls the bottom frame's export with `stack_limit` raised and
//! `interrupt` set. Every function entry then reaches `cr_enter_at`, which hands
//! out the next frame and answers with the first step of the route to its
//! point; the function's dispatch takes it, into the header of the outermost
//! enclosing routing loop, whose `cr_poll` answers the next step, and so on
//! to the point (`tern_environ::migration::route_answer`). The restore block at the
//! point reloads the frame (`cr_restore_values`) and re-issues the call that
//! was in progress, which enters the next frame. Once the innermost frame has
//! taken its last routing step, the fast paths are restored and the program
//! simply runs on.
//!
//! A function's ordinary code has no restore paths (they would cost the hot
//! loops facts: `docs/checkpoint-restore.md`); when its `cr_enter_at` answers
//! with a restore, it tail-calls its *resume version*, which asks for the
//! same answer again (`cr_resume_answer`) and routes as above. A restored
//! frame so runs its resume version until it returns.

use std::cell::RefCell;

use tern_environ::migration::{
    route_answer, MigrationPoint, RouteStep, RESTORE_BIAS, TAIL_RESUME_ANSWER,
};

use super::route_steps;

/// A frame to restore, its values in the restore layout.
#[derive(Debug)]
pub struct RestoreFrame {
    /// Function index.
    pub func: u32,
    /// Position of the point.
    pub position: u32,
    /// The values, laid out by `tern_environ::migration::restore_offsets`;
    /// at least `RESTORE_BIAS` bytes, so that the biased address handed to
    /// compiled code stays within (or one past) the buffer.
    pub slots: Box<[u8]>,
}

struct State {
    frames: Vec<RestoreFrame>,
    /// The frame being restored.
    current: Option<usize>,
    /// Routing answers left for the current frame.
    steps_left: usize,
    /// What `cr_enter_at` last answered, and to which function.
    answer: Option<(u32, i64)>,
    /// Whether the innermost frame has been reached (fast paths are back).
    done: bool,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Whether a restore is in progress (not yet finished).
pub fn active() -> bool {
    STATE.with(|s| s.borrow().as_ref().is_some_and(|s| !s.done))
}

/// Starts restoring `frames` (bottom first, already validated); the caller
/// then raises the flags and calls the bottom frame's function.
pub fn start(frames: Vec<RestoreFrame>) {
    // The frames that used the tail buffers are gone (unwound, or never built).
    TAIL_BUFFERS.with(|b| *b.borrow_mut() = TailBuffers::default());
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            frames,
            current: None,
            steps_left: 0,
            answer: None,
            done: false,
        })
    });
}

/// A restore that does not match the code: a validated snapshot never gets
/// here, so this is a bug or a corrupted process; stop cleanly (print
/// `what`, exit with status 1).
pub fn mismatch(what: String) -> ! {
    eprintln!("tern: restore failed: {what}");
    std::process::exit(1)
}

fn finish(state: &mut State) {
    state.done = true;
    super::request::settle_flags();
    RESUMED_AT.with(|r| r.set(super::request::now_ns()));
}

thread_local! {
    static RESUMED_AT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// When the last restore finished (the innermost frame resumed), CLOCK_MONOTONIC ns.
pub fn resumed_at() -> u64 {
    RESUMED_AT.with(|r| r.get())
}

/// `cr_enter_at` during a restore: function `func` was entered; returns the
/// position its frame resumes at (or the tail-resume answer).
pub fn enter(func: u32) -> i64 {
    let answer = enter_frame(func);
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            state.answer = Some((func, answer));
        }
    });
    answer
}

/// `cr_resume_answer`: what `cr_enter_at` answered function `func`, whose
/// ordinary code then tail-called its resume version.
pub fn answer(func: u32) -> i64 {
    STATE.with(|s| match s.borrow().as_ref().and_then(|st| st.answer) {
        Some((entered, answer)) if entered == func => answer,
        _ => mismatch(format!("function {func} resumed without a restore answer")),
    })
}

fn enter_frame(func: u32) -> i64 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let Some(state) = s.as_mut() else {
            mismatch("no restore in progress".into())
        };
        let next = state.current.map_or(0, |i| i + 1);
        let Some(frame) = state.frames.get(next) else {
            mismatch(format!("function {func} entered past the innermost frame"))
        };
        let index = super::active();
        if frame.func != func {
            // The frame of `func` was replaced by a tail call: `func` calls
            // the frame's function itself (its tail-resume path).
            if index
                .as_ref()
                .and_then(|i| i.function(func))
                .is_some_and(|f| f.makes_tail_calls())
            {
                return TAIL_RESUME_ANSWER;
            }
            mismatch(format!(
                "frame {next} is function {} but function {func} was entered",
                frame.func
            ));
        }
        let position = frame.position;
        let point = index
            .as_ref()
            .and_then(|i| i.point(position).map(|(_, p)| p.clone()));
        let Some(point) = point else {
            mismatch(format!("no migration point at {position:#x}"))
        };
        state.current = Some(next);
        state.steps_left = route_steps(&point);
        if next + 1 == state.frames.len() && state.steps_left == 0 {
            finish(state);
        }
        route_answer(first_step(&point))
    })
}

/// The first step of the route to `point`, from its function's dispatch.
fn first_step(point: &MigrationPoint) -> RouteStep {
    point
        .route_step_after(None)
        .expect("the function's dispatch starts every route")
}

/// `cr_poll` during a restore at the loop at `position`: -1 to run the loop
/// body (the frame stopped at this loop's header), else the next step of
/// the route (`tern_environ::migration::route_answer`).
pub fn poll(position: u32) -> i64 {
    let index = super::active();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let Some(state) = s.as_mut() else {
            mismatch("no restore in progress".into())
        };
        let Some(current) = state.current else {
            mismatch("a loop polled before any frame was entered".into())
        };
        let target = state.frames[current].position;
        state.steps_left = state.steps_left.saturating_sub(1);
        let innermost = current + 1 == state.frames.len();
        if innermost && state.steps_left == 0 {
            finish(state);
        }
        if position == target {
            return -1;
        }
        let step = index
            .as_ref()
            .and_then(|i| i.point(target))
            .and_then(|(_, point)| point.route_step_after(Some(position)));
        match step {
            Some(step) => route_answer(step),
            None => mismatch(format!(
                "the loop at {position:#x} polled on the way to {target:#x}, which it does not lead to"
            )),
        }
    })
}

/// `cr_restore_values`: the frame being restored, biased by
/// `RESTORE_BIAS` (compiled code subtracts it from every offset).
pub fn values() -> *mut u8 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let state = s.as_mut().and_then(|st| {
            let i = st.current?;
            st.frames.get_mut(i)
        });
        match state {
            Some(frame) => frame.slots.as_mut_ptr().wrapping_add(RESTORE_BIAS),
            None => mismatch("restore values requested outside a restore".into()),
        }
    })
}

/// The buffers of tail-resume calls (`cr_tail_buffer`) since the last
/// restore started: each call gets its own, since it is still running (and
/// writes its results when it returns) while deeper frames are restored.
#[derive(Default)]
struct TailBuffers {
    /// Of the calls still running, innermost last.
    open: Vec<Box<[u128]>>,
    /// Of the calls that returned; kept until the next restore starts, the
    /// caller reads its results from it after closing it.
    closed: Vec<Box<[u128]>>,
}

thread_local! {
    static TAIL_BUFFERS: RefCell<TailBuffers> = RefCell::new(TailBuffers::default());
}

/// `cr_tail_buffer(slots > 0)`: a zeroed buffer of `slots` slots for the
/// tail-resume call about to be made.
pub fn open_tail_buffer(slots: usize) -> *mut u8 {
    TAIL_BUFFERS.with(|b| {
        let mut buffers = b.borrow_mut();
        let mut buffer = vec![0u128; slots].into_boxed_slice();
        let ptr = buffer.as_mut_ptr() as *mut u8;
        buffers.open.push(buffer);
        ptr
    })
}

/// `cr_tail_buffer(0)`: the buffer of the tail-resume call that returned
/// (the innermost one still open: these calls nest).
pub fn close_tail_buffer() -> *mut u8 {
    TAIL_BUFFERS.with(|b| {
        let mut buffers = b.borrow_mut();
        let Some(mut buffer) = buffers.open.pop() else {
            mismatch("a tail-resume call returned without a buffer".into())
        };
        let ptr = buffer.as_mut_ptr() as *mut u8;
        buffers.closed.push(buffer);
        ptr
    })
}

/// `cr_restore_callee`: the function of the frame after the current one.
pub fn next_func() -> u32 {
    STATE.with(|s| {
        let s = s.borrow();
        // Before any frame is entered, the entry function itself is
        // tail-resuming: the frame it calls is the bottom one.
        let next = s
            .as_ref()
            .and_then(|st| st.frames.get(st.current.map_or(0, |i| i + 1)))
            .map(|f| f.func);
        next.unwrap_or_else(|| {
            mismatch("an indirect or tail call was re-issued past the innermost frame".into())
        })
    })
}

//! Which functions are on a cycle of direct calls (recursion, direct or
//! mutual): Tarjan's strongly connected components, iteratively so that a
//! deep call graph cannot overflow the compiler's stack.
//!
//! Hand-written rather than taken from a graph crate: it is forty lines, and
//! the offline registry this project builds from has no `petgraph`.

/// For each of `callees.len()` functions, whether it can reach itself
/// through direct calls. `callees[f]` lists the functions `f` calls
/// (indices into `callees`; others, such as imports, are ignored).
pub fn on_call_cycle(callees: &[Vec<usize>]) -> Vec<bool> {
    const UNVISITED: usize = usize::MAX;
    let n = callees.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut cyclic = vec![false; n];
    let mut next_index = 0;
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        // (function, how many of its callees have been looked at)
        let mut work = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(top) = work.last_mut() {
            let (f, seen) = *top;
            if let Some(&c) = callees[f].get(seen) {
                top.1 += 1;
                if c >= n {
                    continue;
                }
                if c == f {
                    cyclic[f] = true;
                }
                if index[c] == UNVISITED {
                    index[c] = next_index;
                    low[c] = next_index;
                    next_index += 1;
                    stack.push(c);
                    on_stack[c] = true;
                    work.push((c, 0));
                } else if on_stack[c] {
                    low[f] = low[f].min(index[c]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[f]);
            }
            if low[f] == index[f] {
                let mut members = Vec::new();
                while let Some(m) = stack.pop() {
                    on_stack[m] = false;
                    members.push(m);
                    if m == f {
                        break;
                    }
                }
                if members.len() > 1 {
                    for m in members {
                        cyclic[m] = true;
                    }
                }
            }
        }
    }
    cyclic
}

#[cfg(test)]
mod tests {
    use super::on_call_cycle;

    #[test]
    fn finds_self_and_mutual_recursion_only() {
        // 0 -> 1 -> 2 -> 1 (mutual), 3 -> 3 (self), 4 -> 0 (acyclic), 5 -> 9 (outside).
        let callees = vec![vec![1], vec![2], vec![1], vec![3], vec![0], vec![9]];
        assert_eq!(
            on_call_cycle(&callees),
            vec![false, true, true, true, false, false]
        );
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let n = 200_000;
        let mut callees: Vec<Vec<usize>> = (0..n).map(|f| vec![f + 1]).collect();
        callees[n - 1] = vec![0];
        assert!(on_call_cycle(&callees).iter().all(|&c| c));
    }
}

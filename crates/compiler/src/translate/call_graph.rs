//! Strongly connected components of a module's direct-call graph (Tarjan,
//! iteratively so that a deep call graph cannot overflow the compiler's
//! stack), for the analyses that need recursion or a callers-first order:
//! `trapping_loads` and `checkpoint::scan`.
//!
//! Hand-written rather than taken from a graph crate: it is forty lines, and
//! the offline registry this project builds from has no `petgraph`.

/// The strongly connected components of the graph with `callees.len()`
/// nodes, where `callees[f]` lists the nodes `f` calls (indices outside the
/// graph, such as imports, are ignored). Components come in Tarjan's order:
/// every component after the components it calls into.
pub fn strongly_connected_components(callees: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let n = callees.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        // (node, how many of its callees have been looked at)
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
                let mut component = Vec::new();
                while let Some(m) = stack.pop() {
                    on_stack[m] = false;
                    component.push(m);
                    if m == f {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// For each node of `callees` (as in [`strongly_connected_components`]),
/// whether it can reach itself: recursion, direct or mutual.
pub fn on_call_cycle(callees: &[Vec<usize>]) -> Vec<bool> {
    let mut cyclic: Vec<bool> = callees
        .iter()
        .enumerate()
        .map(|(f, c)| c.contains(&f))
        .collect();
    for component in strongly_connected_components(callees) {
        if component.len() > 1 {
            for f in component {
                cyclic[f] = true;
            }
        }
    }
    cyclic
}

#[cfg(test)]
mod tests {
    use super::{on_call_cycle, strongly_connected_components};

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
    fn components_come_after_those_they_call() {
        // 0 -> {1, 2}, 1 <-> 2, 2 -> 3.
        let callees = vec![vec![1], vec![2], vec![1, 3], vec![]];
        let components = strongly_connected_components(&callees);
        let position = |f: usize| components.iter().position(|c| c.contains(&f)).unwrap();
        assert_eq!(components.len(), 3);
        assert_eq!(position(1), position(2));
        assert!(position(3) < position(1) && position(1) < position(0));
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let n = 200_000;
        let mut callees: Vec<Vec<usize>> = (0..n).map(|f| vec![f + 1]).collect();
        callees[n - 1] = vec![0];
        assert!(on_call_cycle(&callees).iter().all(|&c| c));
    }
}

"""Strongly connected components, for dependency cycles in a lock.

Python packages may depend on each other in a cycle (uv locks them fine); Bazel targets
may not. The planner breaks each cycle of two or more packages (see hub_render.bzl).
"""

def strongly_connected_components(nodes, edges):
    """Returns the components of two or more nodes (Tarjan's algorithm, iteratively).

    Bazel's Starlark has neither recursion nor `while`, so the depth-first search keeps
    its own stack and runs in a loop bounded by the size of the graph.

    Args:
      nodes: the nodes, in the order to start searches from.
      edges: dict from node to the list of its successors (unknown successors ignored).

    Returns:
      A list of sorted lists of nodes, one per cycle, in a deterministic order.
    """
    known = {n: True for n in nodes}
    index = {}
    low = {}
    on_stack = {}
    stack = []
    components = []
    counter = 0
    steps = 2 * len(nodes) + 1
    for successors in edges.values():
        steps += 2 * len(successors)
    for root in nodes:
        if root in index:
            continue
        work = [[root, 0]]
        for _ in range(steps):
            if not work:
                break
            node, i = work[-1]
            if i == 0 and node not in index:
                index[node] = counter
                low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            successors = [s for s in edges.get(node, []) if s in known]
            if i < len(successors):
                work[-1][1] = i + 1
                succ = successors[i]
                if succ not in index:
                    work.append([succ, 0])
                elif on_stack.get(succ):
                    low[node] = min(low[node], index[succ])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                for _ in range(len(stack)):
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)

"""uv/private/graph.bzl in real Bazel 4.2.3, against a Python reference.

``starlark_calls`` below declares every call; the session's one Bazel build answers them
(tests/support/starlark_bazel.py).
"""

from __future__ import annotations

import random

import pytest

GRAPH = "//uv/private:graph.bzl"


@pytest.fixture(scope="module")
def graph(starlark_bazel):
    return starlark_bazel.load(GRAPH)


def _reference(nodes, edges):
    """Components of 2+ nodes by mutual reachability (quadratic, obviously right)."""
    reach = {}
    for n in nodes:
        seen, todo = set(), [n]
        while todo:
            for s in edges.get(todo.pop(), []):
                if s in nodes and s not in seen:
                    seen.add(s)
                    todo.append(s)
        reach[n] = seen
    groups = {frozenset([n] + [m for m in nodes if m in reach[n] and n in reach[m]]) for n in nodes}
    return sorted(sorted(g) for g in groups if len(g) > 1)


# (nodes, edges, components)
EXAMPLES = [
    (["a", "b"], {"a": ["b"]}, []),
    (["a", "b"], {"a": ["b"], "b": ["a"]}, [["a", "b"]]),
    (["a"], {"a": ["a"]}, []),  # a self-edge is not a component of two
    (["a", "b", "c", "d"], {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": []}, [["a", "b", "c"]]),
    (["a", "b"], {"a": ["zzz"]}, []),
]


def test_examples(graph):
    scc = graph.strongly_connected_components
    for nodes, edges, want in EXAMPLES:
        assert scc(nodes, edges) == want, (nodes, edges)


def _random_graph(seed: int):
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(rng.randint(1, 40))]
    edges = {n: rng.sample(nodes, rng.randint(0, min(3, len(nodes)))) for n in nodes}
    return nodes, edges


@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_match_the_reference(graph, seed):
    nodes, edges = _random_graph(seed)
    assert graph.strongly_connected_components(nodes, edges) == _reference(nodes, edges)


def _long_chain():
    nodes = [f"n{i}" for i in range(3000)]
    edges = {nodes[i]: [nodes[i + 1]] for i in range(len(nodes) - 1)}
    edges[nodes[-1]] = [nodes[0]]
    return nodes, edges


def test_long_chain_needs_no_recursion(graph):
    nodes, edges = _long_chain()
    assert graph.strongly_connected_components(nodes, edges) == [sorted(nodes)]


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    scc = calls.load(GRAPH).strongly_connected_components
    for nodes, edges, _ in EXAMPLES:
        scc(nodes, edges)
    for seed in range(30):
        scc(*_random_graph(seed))
    scc(*_long_chain())

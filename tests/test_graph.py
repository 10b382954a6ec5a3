"""uv/private/graph.bzl in a real Starlark interpreter, against a Python reference."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.starlark_env import StarlarkEnv

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph():
    return StarlarkEnv(REPO_ROOT).load("//uv/private:graph.bzl")


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


def test_examples(graph):
    scc = graph.strongly_connected_components
    assert scc(["a", "b"], {"a": ["b"]}) == []
    assert scc(["a", "b"], {"a": ["b"], "b": ["a"]}) == [["a", "b"]]
    assert scc(["a"], {"a": ["a"]}) == []  # a self-edge is not a component of two
    assert scc(["a", "b", "c", "d"], {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": []}) == [
        ["a", "b", "c"]
    ]
    assert scc(["a", "b"], {"a": ["zzz"]}) == []


@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_match_the_reference(graph, seed):
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(rng.randint(1, 40))]
    edges = {n: rng.sample(nodes, rng.randint(0, min(3, len(nodes)))) for n in nodes}
    assert graph.strongly_connected_components(nodes, edges) == _reference(nodes, edges)


def test_long_chain_needs_no_recursion(graph):
    nodes = [f"n{i}" for i in range(3000)]
    edges = {nodes[i]: [nodes[i + 1]] for i in range(len(nodes) - 1)}
    edges[nodes[-1]] = [nodes[0]]
    assert graph.strongly_connected_components(nodes, edges) == [sorted(nodes)]

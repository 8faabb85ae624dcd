"""The IR every stage reads: a ``networkx.MultiDiGraph`` of typed node records, built
through ``Graph`` and its ``Node`` handles, with shapes checked as each node is added."""

from .graph import Graph, Node
from .node import LEAVES

__all__ = ["LEAVES", "Graph", "Node"]

"""The sync's bulk passes run without the automatic garbage collector and give it back."""

import gc
import weakref

import pytest

from ledger.chain.sync import collecting_per_range


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with collecting_per_range() as collect:
        assert not gc.isenabled()
        collect()  # collects the young generations without turning the collector back on
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), collecting_per_range():
        raise RuntimeError("a range failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collecting_per_range():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cycles_made_by_a_range_are_freed_by_the_per_range_collection() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    with collecting_per_range() as collect:
        node = Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # a cycle: reference counting alone does not free it
        collect()
        assert ref() is None

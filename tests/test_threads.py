"""The CPU thread count: every core by default, re-measured against fewer while training."""

from __future__ import annotations

import torch

from hdrisp.runtime import DEFAULT_THREADS, ThreadTuner


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _feed(tuner: ThreadTuner, seconds: dict[int, list[float]]) -> list[int]:
    """Run steps whose time depends on the thread count; returns the counts used."""
    used = []
    queue = {k: list(v) for k, v in seconds.items()}
    while any(queue.values()):
        threads = tuner.before_step()
        used.append(threads)
        tuner.after_step(queue[threads].pop(0) if queue[threads] else 0.1)
        if tuner.choice is not None and len(tuner.log) == 1 and not tuner._queue:
            break
    return used


def test_a_busy_machine_chooses_one_thread() -> None:
    """All cores: 16 s a step (threads preempted, OpenMP barriers spin); one: 1.3 s."""
    tuner = ThreadTuner(candidates=(2, 1), probe_steps=2, apply=False, clock=Clock())
    used = _feed(tuner, {2: [16.0, 15.0], 1: [1.4, 1.3]})
    assert used == [2, 2, 1, 1] and tuner.choice == 1
    assert tuner.before_step() == 1
    assert tuner.summary().startswith("1 threads (1 of 1 probes")


def test_an_idle_machine_keeps_every_core_and_ignores_a_slow_first_step() -> None:
    """The first step pays one-time costs (the minimum of each probe ignores it)."""
    tuner = ThreadTuner(candidates=(4, 2, 1), probe_steps=2, apply=False, clock=Clock())
    used = _feed(tuner, {4: [3.0, 0.3], 2: [0.5, 0.5], 1: [0.9, 0.9]})
    assert used == [4, 4, 2, 2, 1, 1] and tuner.choice == 4


def test_a_tie_keeps_more_threads_and_the_load_is_probed_again() -> None:
    clock = Clock()
    tuner = ThreadTuner(candidates=(2, 1), probe_steps=1, reprobe_s=60.0, apply=False,
                        clock=clock)
    for seconds in (0.5, 0.5):
        tuner.before_step()
        tuner.after_step(seconds)
    assert tuner.choice == 2
    clock.now = 30.0
    assert tuner.before_step() == 2 and tuner._queue == []  # no probe before reprobe_s
    tuner.after_step(0.5)
    clock.now = 61.0  # the machine got busy: a new probe sees it
    for seconds in (4.0, 0.6):
        tuner.before_step()
        tuner.after_step(seconds)
    assert tuner.choice == 1 and len(tuner.log) == 2


def test_the_tuner_sets_torch_threads_and_is_off_when_the_count_is_fixed() -> None:
    previous = torch.get_num_threads()
    try:
        tuner = ThreadTuner(candidates=(1,), probe_steps=1)
        assert tuner.before_step() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(previous)
    import hdrisp.runtime as runtime

    runtime._TUNERS.clear()  # an earlier test in this process may have left one
    cpu = torch.device("cpu")
    assert ThreadTuner.for_runtime(2, cpu) is None  # pinned by the config
    assert ThreadTuner.for_runtime(None, cpu, deterministic=True) is None
    assert ThreadTuner.for_runtime(None, torch.device("cuda")) is None
    try:
        tuner = ThreadTuner.for_runtime(None, cpu)
        if DEFAULT_THREADS > 1:
            assert tuner is not None and tuner.candidates[0] == DEFAULT_THREADS
            assert tuner.candidates[-1] == 1
            assert tuner.choice in tuner.candidates  # the quick probe chose before any step
            assert torch.get_num_threads() == tuner.choice
        else:
            assert tuner is None
    finally:
        runtime._TUNERS.clear()
        torch.set_num_threads(previous)


def test_the_quick_probe_chooses_before_the_first_step() -> None:
    """A busy machine (every core 10× slower per convolution) gets one thread at once; the
    first call of each count is a warm-up, never counted."""
    calls: list[int] = []

    def measure(threads: int) -> float:
        calls.append(threads)
        warm_up = calls.count(threads) == 1
        return 5.0 if warm_up else (0.2 if threads == 2 else 0.02)

    tuner = ThreadTuner(candidates=(2, 1), apply=False, clock=Clock())
    assert tuner.quick_probe(measure, reps=3) == 1
    assert calls == [2] * 4 + [1] * 4 and tuner.before_step() == 1
    idle = ThreadTuner(candidates=(2, 1), apply=False, clock=Clock())
    assert idle.quick_probe(lambda t: 0.01 / t, reps=2) == 2


def test_the_tutorial_config_uses_every_core() -> None:
    from hdrisp.training.config import load_config

    assert load_config("tiny").runtime.threads is None


def test_one_tuner_serves_every_level_and_drops_a_probe_a_level_left_unfinished() -> None:
    import hdrisp.runtime as runtime

    if DEFAULT_THREADS <= 1:
        return
    runtime._TUNERS.clear()
    cpu = torch.device("cpu")
    previous = torch.get_num_threads()
    try:
        first = ThreadTuner.for_runtime(None, cpu)
        assert first is not None
        first.clock = Clock()
        first.before_step()
        first.after_step(1.0)  # a probe half done when the level ends
        other = 1 if first.choice != 1 else DEFAULT_THREADS
        torch.set_num_threads(other)  # something between the levels changed the count
        second = ThreadTuner.for_runtime(None, cpu)
        assert second is first and second._queue == [] and second._times == {}
        assert torch.get_num_threads() == second.choice  # the next level starts at the choice
        second.choice = 1  # what the first level chose carries over
        assert second.before_step() == 1
    finally:
        runtime._TUNERS.clear()
        torch.set_num_threads(previous)


def test_a_confirmed_choice_is_probed_less_and_less_often() -> None:
    """Each probe runs steps on the losing count; while the choice holds the wait doubles
    (60, 120, 240 s ...), and a change brings it back to reprobe_s."""
    clock = Clock()
    tuner = ThreadTuner(candidates=(2, 1), probe_steps=1, reprobe_s=60.0, max_reprobe_s=200.0,
                        apply=False, clock=clock)

    def probe(two: float, one: float) -> None:
        for seconds in (two, one):
            tuner.before_step()
            tuner.after_step(seconds)

    probe(5.0, 1.0)
    waits = []
    for _ in range(3):
        start = clock.now
        while not tuner._queue:  # steps at the choice until the next probe starts
            clock.now += 1.0
            tuner.before_step()
        waits.append(clock.now - start)
        tuner.after_step(5.0)
        tuner.before_step()
        tuner.after_step(1.0)
    assert waits == [61.0, 121.0, 201.0] and tuner.choice == 1
    assert tuner._queue == []
    clock.now += 300.0
    probe(0.5, 1.0)  # the load went away: every core again, probed soon after
    assert tuner.choice == 2 and tuner._interval == 60.0


def test_a_count_far_slower_than_the_choice_is_not_probed_further() -> None:
    """Under load a step with every core took 12 s against 0.4 s with one (measured): after
    its first probe step, every core is dropped from the probe."""
    clock = Clock()
    tuner = ThreadTuner(candidates=(2, 1), probe_steps=2, reprobe_s=60.0, apply=False,
                        clock=clock)
    tuner.choice, tuner._chosen_at = 1, 0.0
    tuner.before_step()
    tuner.after_step(0.4)  # a step at the choice
    clock.now = 61.0
    used = []
    for seconds in (12.0, 0.35, 0.4):
        used.append(tuner.before_step())
        tuner.after_step(seconds)
    assert used == [2, 1, 1] and tuner.choice == 1 and len(tuner.log) == 1

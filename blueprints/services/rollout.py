"""The pure steps of a rollout: given the replica sets that should run now, what comes next.

A deploy job calls `next_step()` repeatedly; each answer changes the desired sets by one
replica (rolling update) or all at once (recreate). Keeping this free of I/O lets the
job resume after a crash from whatever sets it finds, and lets tests check every step.
`desired_state()` and `set_spec()` turn a service and its revisions into what the runtime runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .runtime.base import DesiredState, ReplicaSetSpec

if TYPE_CHECKING:
    from .models import Revision, Service


@dataclass
class Step:
    sets: list[ReplicaSetSpec]
    wait_for_ready: int  # new-set replicas that must be ready before the next step
    done: bool = False


def _counts(sets: list[ReplicaSetSpec], key: str) -> tuple[int, list[ReplicaSetSpec]]:
    new = sum(s.replicas for s in sets if s.key == key)
    olds = [s for s in sets if s.key != key and s.replicas > 0]
    return new, olds


def next_step(sets: list[ReplicaSetSpec], target: ReplicaSetSpec, strategy: str) -> Step:
    """The sets after one more step towards `target` (a set whose `replicas` is the goal)."""
    goal = target.replicas
    new, olds = _counts(sets, target.key)
    if strategy == "recreate":
        final = [replace(target)]
        return Step(final, wait_for_ready=goal, done=(new == goal and not olds))
    if new >= goal and not olds:
        return Step([replace(target)], wait_for_ready=goal, done=True)
    old_total = sum(s.replicas for s in olds)
    if olds and (new >= goal or (new >= 1 and new + old_total > goal)):
        # A new replica is ready and we are over the goal: stop one old replica (from the
        # largest old set) before starting the next new one (at most one replica of surge).
        biggest = max(olds, key=lambda s: s.replicas)
        shrunk = [replace(s, replicas=s.replicas - 1) if s is biggest else s for s in olds]
        rest = [s for s in shrunk if s.replicas > 0]
        return Step([*rest, replace(target, replicas=new)], wait_for_ready=new)
    # Start one more new replica; the old ones keep serving until it is ready.
    return Step([*olds, replace(target, replicas=new + 1)], wait_for_ready=new + 1)


# --- desired state: what the rollout hands to the runtime -----------------------------------------


def desired_state(
    service: Service, sets: list[ReplicaSetSpec], *, strategy: str = "rolling-update"
) -> DesiredState:
    """Everything the runtime needs to run `service` as the replica sets `sets` (empty: none);
    `strategy` tells a runtime that rolls out itself how to get there."""
    return DesiredState(
        service_id=service.id,
        org_id=service.org_id,
        name=service.name,
        health_check_path=service.health_check_path,
        port=service.port,
        sets=sets,
        type=service.type,
        strategy=strategy,
    )


def set_spec(key: str, revision: Revision, replicas: int | None = None) -> ReplicaSetSpec:
    """A replica set `key` running `revision` (its own replica count unless `replicas`)."""
    return ReplicaSetSpec(
        key=key,
        revision=revision.number,
        image=revision.image,
        command=revision.command,
        env=dict(revision.env or {}),
        replicas=revision.replicas if replicas is None else replicas,
    )

"""Matching of applicants to international posts, rule by rule (ODD §7.5), and contract lengths.

Every expectation is derived from the ODD's draws: an applicant's priority is
`uniform(seed, id, t, STREAM_MATCH_KEY)`, a protected applicant's passive success
`uniform(seed, id, t, STREAM_PASSIVE) < passive_rate`, a rural post
`uniform(seed, id, t, STREAM_AREA) < rural share`.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import rules
from sim.model.rng import STREAM_AREA, STREAM_MATCH_KEY, STREAM_PASSIVE, uniform, worker_key
from tests.model_helpers import archetypes, make_model

SEED, STEP = 31, 6
SRC, OTHER, DEST, DEST2 = 0, 1, 2, 3  # four countries; DEST and DEST2 recruit
NOT_TAKEN, OPEN = -2, -1


def match(ids, origin, destination, *, cadre=None, posts=None, agreements=(), ethical=(),
          protected=(), passive_rate=0.0, rural_share=0.0):  # fmt: skip
    """Run `rules.match_applicants` on applicants given as lists; returns (channel, area).

    `agreements` is a list of (source, destination, cadre or -1, slots); `ethical` and
    `protected` list countries; `posts` is {(country, cadre): n} (default: plenty everywhere).
    """
    n = len(ids)
    ids = np.asarray(ids, dtype=np.int64)
    table = np.full((4, 2), 10**6, dtype=np.int64) if posts is None else np.zeros((4, 2), np.int64)
    for (c, k), v in (posts or {}).items():
        table[c, k] = v
    ag = np.array(agreements, dtype=np.int64).reshape(-1, 4)
    flags = lambda countries: np.isin(np.arange(4), list(countries))  # noqa: E731
    channel, area = rules.match_applicants(
        STEP, ids, np.array([worker_key(SEED, int(i)) for i in ids], dtype=np.int64),
        np.asarray(origin, dtype=np.int64), np.asarray(cadre or [0] * n, dtype=np.int64),
        np.asarray(destination, dtype=np.int64), table,
        ag[:, 0].copy(), ag[:, 1].copy(), ag[:, 2].copy(), ag[:, 3].copy(),
        flags(ethical), flags(protected), passive_rate, np.full((4, 2), rural_share),
    )  # fmt: skip
    return channel, area, table


def priority(i: int) -> tuple[float, int]:
    """ODD §7.5 ranking key of applicant `i`: (random priority, worker id)."""
    return uniform(SEED, i, STEP, STREAM_MATCH_KEY), i


def passive_success(i: int, rate: float) -> bool:
    return uniform(SEED, i, STEP, STREAM_PASSIVE) < rate


IDS = list(range(500, 540))


def test_scarce_posts_go_to_the_best_random_priorities_not_the_lowest_ids():
    channel, _, posts = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 7})
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    assert taken == set(sorted(IDS, key=priority)[:7])
    assert taken != set(IDS[:7])  # (the test would not tell the two orders apart otherwise)
    assert posts[DEST, 0] == 0


def test_posts_are_per_destination_and_cadre():
    cadre = [0, 1] * 20
    destination = [DEST] * 20 + [DEST2] * 20
    channel, _, _ = match(IDS, [SRC] * 40, destination, cadre=cadre,
                          posts={(DEST, 0): 3, (DEST, 1): 1, (DEST2, 1): 2})  # fmt: skip
    for d, k, n in [(DEST, 0, 3), (DEST, 1, 1), (DEST2, 0, 0), (DEST2, 1, 2)]:
        group = [i for i, dd, kk in zip(IDS, destination, cadre, strict=True) if (dd, kk) == (d, k)]
        taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN and i in group}
        assert taken == set(sorted(group, key=priority)[:n]), (d, k)


@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
def test_ethical_recruitment_turns_down_only_protected_applicants_to_ethical_destinations(rate):
    """Taken unless the destination applies the rule and the origin is protected; then only as
    a passive applicant (a draw below the passive rate)."""
    origin = [SRC, OTHER] * 20
    destination = [DEST] * 20 + [DEST2] * 20
    channel, _, _ = match(
        IDS, origin, destination, ethical=[DEST], protected=[SRC], passive_rate=rate
    )
    for i, o, d, c in zip(IDS, origin, destination, channel, strict=True):
        restricted = d == DEST and o == SRC
        expected = passive_success(i, rate) if restricted else True
        assert (c == OPEN) == expected, (i, o, d)
    if rate == 0.3:  # both outcomes occur among the restricted applicants
        restricted = [i for i, o, d in zip(IDS, origin, destination, strict=True)
                      if (o, d) == (SRC, DEST)]  # fmt: skip
        assert 0 < sum(passive_success(i, rate) for i in restricted) < len(restricted)


def test_a_turned_down_applicant_leaves_the_post_to_the_next():
    origin = [SRC] * 20 + [OTHER] * 20
    channel, _, posts = match(
        IDS, origin, [DEST] * 40, posts={(DEST, 0): 5}, ethical=[DEST], protected=[SRC]
    )
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    assert taken == set(sorted(IDS[20:], key=priority)[:5])
    assert posts[DEST, 0] == 0


def test_agreement_slots_are_served_first_and_used_up():
    agreement = (SRC, DEST, -1, 4)  # 4 slots this step
    channel, _, posts = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 10},
                              agreements=[agreement])  # fmt: skip
    ranked = sorted(IDS, key=priority)
    by_channel = {c: {i for i, cc in zip(IDS, channel, strict=True) if cc == c} for c in (0, OPEN)}
    assert by_channel[0] == set(ranked[:4])  # the slots go to the best-ranked eligible
    assert by_channel[OPEN] == set(ranked[4:10])  # open recruitment fills the other posts
    assert posts[DEST, 0] == 0


def test_agreement_eligibility_source_destination_cadre_and_no_ethical_rule():
    # Applicants: the corridor's nurses, its doctors, another origin, another destination.
    origin = [SRC] * 10 + [SRC] * 10 + [OTHER] * 10 + [SRC] * 10
    destination = [DEST] * 30 + [DEST2] * 10
    cadre = [1] * 10 + [0] * 10 + [1] * 20
    channel, _, _ = match(
        IDS, origin, destination, cadre=cadre, agreements=[(SRC, DEST, 1, 100)],
        ethical=[DEST, DEST2], protected=[SRC], passive_rate=0.0,
    )  # fmt: skip
    assert (channel[:10] == 0).all()  # protected, but recruited under the agreement
    assert (channel[10:20] == NOT_TAKEN).all()  # other cadre: open recruitment, turned down
    assert (channel[20:30] == OPEN).all()  # unprotected origin: open recruitment
    assert (channel[30:] == NOT_TAKEN).all()  # chose another destination: not the corridor


def test_agreements_in_file_order_share_the_posts():
    channel, _, _ = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 6},
                          agreements=[(SRC, DEST, -1, 4), (SRC, DEST, 0, 4)])  # fmt: skip
    ranked = sorted(IDS, key=priority)
    assert {i for i, c in zip(IDS, channel, strict=True) if c == 0} == set(ranked[:4])
    assert {i for i, c in zip(IDS, channel, strict=True) if c == 1} == set(ranked[4:6])
    assert (channel == OPEN).sum() == 0


@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
def test_taken_applicants_go_rural_by_the_destinations_rural_share(share):
    channel, area, _ = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 30},
                             rural_share=share)  # fmt: skip
    for i, c, a in zip(IDS, channel, area, strict=True):
        expected = c != NOT_TAKEN and uniform(SEED, i, STEP, STREAM_AREA) < share
        assert a == int(expected), i


# ------------------------------------------------------------------ fixed-term contracts in a run
@pytest.mark.parametrize(("years", "steps"), [(1.0, 4), (0.5, 2), (0.1, 1)])
def test_a_fixed_term_worker_goes_home_after_the_contract(years, steps):
    """A worker taken under an agreement with `contract_years` serves rint(years·S) steps (at
    least one), then goes home (return probability 1); free returns and leaving are shut off."""
    scenario = archetypes({
        "world.countries": ["XSR", "XDA"], "workforce.destinations": ["XDA"],
        "time.years": 3, "scale.workers_per_agent": 20.0,
        "behaviour.reconsider_rate": 1.5, "behaviour.emigrate_constant": -3.0,
        "behaviour.return_constant": -50.0, "behaviour.leave_constant": -50.0,
        "hazards.exit_rate": 0.0, "hazards.death_rate": 0.0, "hazards.retirement_rate": 0.0,
        "policies.agreements": [{"source": "XSR", "destination": "XDA", "quota": 400.0,
                                 "contract_years": years, "return_probability": 1.0}],
    })  # fmt: skip
    model = make_model(scenario, seed=5)
    hired, home = {}, {}
    while model.steps < model.n_steps:
        model.step()
        for w in model.population.workers:
            if w.agreement >= 0 and w not in hired:
                hired[w] = model.steps
            elif w in hired and w not in home and w.country == w.origin:
                home[w] = model.steps
    assert len(hired) > 10
    assert home, "nobody came home"
    assert {home[w] - hired[w] for w in home} == {steps}
    # Everyone hired long enough before the end came home.
    due = [w for w, t in hired.items() if t + steps <= model.n_steps and w.status == rules.ACTIVE]
    assert set(due) == set(home)

"""Matching, rule by rule (ODD §7.5): applicants to international posts (agreements first, open
recruitment, ethical recruitment by the country recruited from, deployment caps of the training
country), returning migrants to vacant posts at home, and contract lengths.

Every expectation is derived from the ODD's draws: an applicant's priority is
`uniform(seed, id, t, STREAM_MATCH_KEY)`, a protected applicant's passive success
`uniform(seed, id, t, STREAM_PASSIVE) < passive_rate`, a rural post
`uniform(seed, id, t, STREAM_AREA) < rural share`.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import matching, rules
from sim.model.demand import DeploymentAllowance
from sim.model.rng import (
    STREAM_AREA,
    STREAM_MATCH_KEY,
    STREAM_PASSIVE,
    STREAM_PREFERENCE,
    uniform,
    worker_key,
)
from tests.model_helpers import archetypes, make_model

SEED, STEP = 31, 6
SRC, OTHER, DEST, DEST2 = 0, 1, 2, 3  # four countries; DEST and DEST2 recruit
NOT_TAKEN, OPEN = matching.NOT_TAKEN, matching.OPEN
UNCAPPED = 10**9


def _keys(ids) -> np.ndarray:
    return np.array([worker_key(SEED, int(i)) for i in ids], dtype=np.int64)


def _flags(countries) -> np.ndarray:
    return np.isin(np.arange(4), list(countries))


def _table(cells: dict | None, default: int = 10**6) -> np.ndarray:
    """(4, 2) int64 from {(country, cadre): n}; `default` everywhere when `cells` is None."""
    table = (
        np.full((4, 2), default, dtype=np.int64) if cells is None else np.zeros((4, 2), np.int64)
    )
    for (c, k), v in (cells or {}).items():
        table[c, k] = v
    return table


def match(ids, origin, destination, *, cadre=None, country=None, posts=None, agreements=(),
          ethical=(), protected=(), passive_rate=0.0, rural_share=0.0, allowance=None,
          capped=(), exempt=False, members=(), waived=(), preference=0.0,
          partners=(), channel_preference=0.0, rates=None):  # fmt: skip
    """Run `matching.match_applicants` on applicants given as lists.

    `country` is where each applicant works now (default: their origin); `agreements` is a list
    of (source, destination, cadre or -1, slots); `ethical` and `protected` list countries;
    `posts` is {(country, cadre): n} (default: plenty everywhere); `allowance` {country: n}
    deployments left (default: uncapped); `capped` lists the (country, cadre) under a cap;
    `members` lists the area of free movement, whose `preference` applies except at the
    members in `waived` (a labour market test waived); `partners` lists the (origin, destination,
    cadre) of recruitment channels in force, whose `channel_preference` applies (the first scan's
    table from `matching.first_scan_probability`); `rates`, if given, is the (4, 4, 2) passive
    table itself (`PolicyYear.passive`), else it is built from `ethical`, `protected` and
    `passive_rate`.
    Returns (channel, area, posts left, allowance left).
    """
    n = len(ids)
    ids = np.asarray(ids, dtype=np.int64)
    table = _table(posts)
    left = np.full(4, UNCAPPED, dtype=np.int64)
    for c, v in (allowance or {}).items():
        left[c] = v
    under_cap = np.zeros((4, 2), dtype=bool)
    for c, k in capped:
        under_cap[c, k] = True
    ag = np.array(agreements, dtype=np.int64).reshape(-1, 4)
    channel, area = matching.match_applicants(
        STEP, ids, _keys(ids), np.asarray(origin, dtype=np.int64),
        np.asarray(origin if country is None else country, dtype=np.int64),
        np.asarray(cadre or [0] * n, dtype=np.int64), np.asarray(destination, dtype=np.int64),
        table, ag[:, 0].copy(), ag[:, 1].copy(), ag[:, 2].copy(), ag[:, 3].copy(),
        rates if rates is not None else _passive(ethical, protected, passive_rate), left,
        under_cap, _exempt(exempt),
        np.full((4, 2), rural_share),
        first_scan(members, waived, preference, partners, channel_preference),
    )  # fmt: skip
    return channel, area, table, left


def first_scan(members=(), waived=(), preference=0.0, partners=(), channel_preference=0.0):
    """The (4, 4, 2) first-scan table of `matching.first_scan_probability` for these members,
    waivers and channels."""
    channel_partner = np.zeros((4, 4, 2), dtype=bool)
    for o, d, k in partners:
        channel_partner[o, d, k] = True
    setup = SimpleNamespace(
        behaviour={"community_preference": preference, "channel_preference": channel_preference},
        free_movement=_flags(members),
        preferring=np.repeat((_flags(members) & ~_flags(waived))[:, None], 2, axis=1),
    )
    pol = SimpleNamespace(channel_partner=channel_partner, cached=lambda key, compute: compute())
    return matching.first_scan_probability(setup, pol)


def _exempt(exempt) -> np.ndarray:
    """The (4, 2) exemption table: a bool for every origin and cadre, or per origin (4,), or
    the table itself."""
    table = np.asarray(exempt, dtype=bool)
    if table.ndim == 1:
        table = np.repeat(table[:, None], 2, axis=1)
    return np.broadcast_to(table, (4, 2)).copy()


def _passive(ethical, protected, rate: float) -> np.ndarray:
    """The (country, destination, cadre) passive table of the lever's rule: `rate` where the
    destination is `ethical` and the country `protected`, else 1."""
    ruled = _flags(protected)[:, None] & _flags(ethical)[None, :]
    return np.repeat(np.where(ruled, rate, 1.0)[:, :, None], 2, axis=2)


def priority(i: int) -> tuple[float, int]:
    """ODD §7.5 ranking key of applicant `i`: (random priority, worker id)."""
    return uniform(SEED, i, STEP, STREAM_MATCH_KEY), i


def passive_success(i: int, rate: float) -> bool:
    return uniform(SEED, i, STEP, STREAM_PASSIVE) < rate


IDS = list(range(500, 540))


def test_scarce_posts_go_to_the_best_random_priorities_not_the_lowest_ids():
    channel, _, posts, _ = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 7})
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    assert taken == set(sorted(IDS, key=priority)[:7])
    assert taken != set(IDS[:7])  # (the test would not tell the two orders apart otherwise)
    assert posts[DEST, 0] == 0


def test_posts_are_per_destination_and_cadre():
    cadre = [0, 1] * 20
    destination = [DEST] * 20 + [DEST2] * 20
    channel, *_ = match(IDS, [SRC] * 40, destination, cadre=cadre,
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
    channel, *_ = match(
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
    channel, _, posts, _ = match(
        IDS, origin, [DEST] * 40, posts={(DEST, 0): 5}, ethical=[DEST], protected=[SRC]
    )
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    assert taken == set(sorted(IDS[20:], key=priority)[:5])
    assert posts[DEST, 0] == 0


def preferred(i: int, rate: float) -> bool:
    """ODD §7.5: an applicant trained in a member, to another member, comes first with `rate`."""
    return uniform(SEED, i, STEP, STREAM_PREFERENCE) < rate


@pytest.mark.parametrize("rate", [0.0, 0.4, 1.0])
def test_community_preference_serves_the_area_first_then_rank_order(rate):
    """DEST and SRC are members, OTHER and DEST2 are not: at DEST, applicants trained in SRC
    that the preference draw selects take the posts first, in rank order; the posts left go in
    rank order to everyone else. DEST2, outside the area, ranks everyone alike."""
    origin = [SRC, OTHER] * 20
    destination = [DEST] * 20 + [DEST2] * 20
    posts = {(DEST, 0): 6, (DEST2, 0): 6}
    channel, *_ = match(IDS, origin, destination, posts=posts, members=[SRC, DEST],
                        preference=rate)  # fmt: skip
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    at_dest = [i for i, d in zip(IDS, destination, strict=True) if d == DEST]
    first = sorted((i for i, o in zip(IDS, origin, strict=True)
                    if i in at_dest and o == SRC and preferred(i, rate)), key=priority)  # fmt: skip
    rest = sorted((i for i in at_dest if i not in first), key=priority)
    assert taken & set(at_dest) == set((first + rest)[:6])
    at_dest2 = [i for i, d in zip(IDS, destination, strict=True) if d == DEST2]
    assert taken & set(at_dest2) == set(sorted(at_dest2, key=priority)[:6])
    if rate == 0.0:  # no preference: the rank order alone, as without the rule
        plain, *_ = match(IDS, origin, destination, posts=posts)
        assert np.array_equal(channel, plain)
    if rate == 0.4:  # the draw selects some of the area's applicants, not all
        area = [i for i, o in zip(IDS, origin, strict=True) if i in at_dest and o == SRC]
        assert 0 < sum(preferred(i, rate) for i in area) < len(area)


def test_a_member_that_waives_the_labour_market_test_ranks_everyone_alike():
    """DEST waives the test: its posts go in rank order, as without the preference."""
    origin = [SRC, OTHER] * 20
    posts = {(DEST, 0): 6}
    waived, *_ = match(IDS, origin, [DEST] * 40, posts=posts, members=[SRC, DEST],
                       waived=[DEST], preference=1.0)  # fmt: skip
    plain, *_ = match(IDS, origin, [DEST] * 40, posts=posts)
    preferred_all, *_ = match(IDS, origin, [DEST] * 40, posts=posts, members=[SRC, DEST],
                              preference=1.0)  # fmt: skip
    assert np.array_equal(waived, plain)
    assert not np.array_equal(preferred_all, plain)  # (the test could not fail otherwise)


def test_community_preference_skips_a_move_within_one_country_and_keeps_the_other_rules():
    """A worker trained in DEST applying to DEST from abroad is not preferred (o = d); a preferred
    applicant still needs a post and the training country's allowance."""
    origin = [DEST] * 10 + [SRC] * 10 + [OTHER] * 20
    channel, _, posts, left = match(
        IDS, origin, [DEST] * 40, country=[OTHER] * 10 + [SRC] * 30, posts={(DEST, 0): 8},
        members=[SRC, DEST], preference=1.0, allowance={SRC: 3}, capped=[(SRC, 0)],
    )  # fmt: skip
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    from_src = sorted(IDS[10:20], key=priority)[:3]  # the allowance binds at 3
    others = sorted((i for i in IDS if i not in IDS[10:20]), key=priority)[:5]
    assert taken == set(from_src) | set(others)
    assert posts[DEST, 0] == 0 and left[SRC] == 0


@pytest.mark.parametrize("rate", [0.0, 0.4, 1.0])
def test_channel_preference_serves_the_partners_first_then_rank_order(rate):
    """DEST recruits nurses (cadre 0) in SRC through a channel, not in OTHER, nor SRC's doctors:
    at DEST, SRC's nurses that the draw selects take the posts first, in rank order, wherever
    they apply from (an onward applicant too); the posts left go in rank order to everyone else.
    DEST2, without channels, ranks everyone alike."""
    origin = [SRC, OTHER] * 20
    cadre = [0] * 30 + [1] * 10
    destination = [DEST] * 20 + [DEST2] * 20
    country = [OTHER if i % 4 == 0 else o for i, o in enumerate(origin)]  # some apply from abroad
    posts = {(DEST, 0): 6, (DEST2, 0): 6, (DEST, 1): 2, (DEST2, 1): 2}
    channel, *_ = match(IDS, origin, destination, cadre=cadre, country=country, posts=posts,
                        partners=[(SRC, DEST, 0)], channel_preference=rate)  # fmt: skip
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    at_dest = [i for i, d, k in zip(IDS, destination, cadre, strict=True) if d == DEST and k == 0]
    first = sorted((i for i, o in zip(IDS, origin, strict=True)
                    if i in at_dest and o == SRC and preferred(i, rate)), key=priority)  # fmt: skip
    rest = sorted((i for i in at_dest if i not in first), key=priority)
    assert taken & set(at_dest) == set((first + rest)[:6])
    for d, k in ((DEST2, 0), (DEST2, 1), (DEST, 1)):  # no channel there: the rank order alone
        group = [i for i, dd, kk in zip(IDS, destination, cadre, strict=True) if (dd, kk) == (d, k)]
        assert taken & set(group) == set(sorted(group, key=priority)[: posts[d, k]])
    if rate == 0.0:
        plain, *_ = match(IDS, origin, destination, cadre=cadre, country=country, posts=posts)
        assert np.array_equal(channel, plain)
    if rate == 1.0:  # every partner applicant first: the channel changes who is taken
        plain, *_ = match(IDS, origin, destination, cadre=cadre, country=country, posts=posts)
        assert not np.array_equal(channel, plain)
        src_nurses = {i for i, o in zip(IDS, origin, strict=True) if i in at_dest and o == SRC}
        assert taken & set(at_dest) <= src_nurses  # 10 of them for 6 posts: all go to SRC


def test_first_scan_takes_the_larger_preference_and_never_a_move_within_one_country():
    """`matching.first_scan_probability`: the Community preference where it applies, the channel
    preference where a channel is in force, the larger where both do; 0 for o = d and elsewhere."""
    table = first_scan(members=[SRC, DEST, OTHER], waived=[OTHER], preference=0.3,
                       partners=[(SRC, DEST, 0), (DEST2, DEST, 1), (DEST, DEST, 0)],
                       channel_preference=0.6)  # fmt: skip
    assert table[SRC, DEST, 0] == 0.6  # both apply: the larger
    assert table[SRC, DEST, 1] == 0.3  # the Community preference alone
    assert table[DEST2, DEST, 1] == 0.6 and table[DEST2, DEST, 0] == 0.0  # the channel's cadre
    assert table[DEST, DEST, 0] == 0.0  # never within one country
    assert table[SRC, OTHER, 0] == 0.0  # OTHER waives the test
    assert table[OTHER, SRC, 0] == 0.3 and table[DEST2, SRC, 0] == 0.0


def test_agreement_slots_are_served_first_and_used_up():
    agreement = (SRC, DEST, -1, 4)  # 4 slots this step
    channel, _, posts, _ = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 10},
                              agreements=[agreement])  # fmt: skip
    ranked = sorted(IDS, key=priority)
    by_channel = {c: {i for i, cc in zip(IDS, channel, strict=True) if cc == c} for c in (0, OPEN)}
    assert by_channel[0] == set(ranked[:4])  # the slots go to the best-ranked eligible
    assert by_channel[OPEN] == set(ranked[4:10])  # open recruitment fills the other posts
    assert posts[DEST, 0] == 0


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_the_passive_table_applies_to_its_cadre_only(rate):
    """A table that turns down nurses (cadre 1) from SRC at DEST, as a destination's code of
    practice may, leaves its doctors (cadre 0) and other destinations alone."""
    rates = np.ones((4, 4, 2))
    rates[SRC, DEST, 1] = rate
    cadre = [0, 1] * 20
    origin = [SRC] * 40
    destination = [DEST] * 20 + [DEST2] * 20
    channel, *_ = match(IDS, origin, destination, cadre=cadre, rates=rates)
    for i, k, d, c in zip(IDS, cadre, destination, channel, strict=True):
        expected = passive_success(i, rate) if (k, d) == (1, DEST) else True
        assert (c == OPEN) == expected, (i, k, d)
    turned = [i for i, k, d in zip(IDS, cadre, destination, strict=True) if (k, d) == (1, DEST)]
    if rate > 0:  # the draws turn some of them down and take others
        assert 0 < sum(passive_success(i, rate) for i in turned) < len(turned)


def test_agreement_eligibility_source_destination_cadre_and_no_ethical_rule():
    # Applicants: the corridor's nurses, its doctors, another origin, another destination.
    origin = [SRC] * 10 + [SRC] * 10 + [OTHER] * 10 + [SRC] * 10
    destination = [DEST] * 30 + [DEST2] * 10
    cadre = [1] * 10 + [0] * 10 + [1] * 20
    channel, *_ = match(
        IDS, origin, destination, cadre=cadre, agreements=[(SRC, DEST, 1, 100)],
        ethical=[DEST, DEST2], protected=[SRC], passive_rate=0.0,
    )  # fmt: skip
    assert (channel[:10] == 0).all()  # protected, but recruited under the agreement
    assert (channel[10:20] == NOT_TAKEN).all()  # other cadre: open recruitment, turned down
    assert (channel[20:30] == OPEN).all()  # unprotected origin: open recruitment
    assert (channel[30:] == NOT_TAKEN).all()  # chose another destination: not the corridor


def test_agreements_in_file_order_share_the_posts():
    channel, *_ = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 6},
                          agreements=[(SRC, DEST, -1, 4), (SRC, DEST, 0, 4)])  # fmt: skip
    ranked = sorted(IDS, key=priority)
    assert {i for i, c in zip(IDS, channel, strict=True) if c == 0} == set(ranked[:4])
    assert {i for i, c in zip(IDS, channel, strict=True) if c == 1} == set(ranked[4:6])
    assert (channel == OPEN).sum() == 0


@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
def test_taken_applicants_go_rural_by_the_destinations_rural_share(share):
    channel, area, *_ = match(IDS, [SRC] * 40, [DEST] * 40, posts={(DEST, 0): 30},
                             rural_share=share)  # fmt: skip
    for i, c, a in zip(IDS, channel, area, strict=True):
        expected = c != NOT_TAKEN and uniform(SEED, i, STEP, STREAM_AREA) < share
        assert a == int(expected), i


def _ranked(ids) -> list:
    return sorted(ids, key=priority)


def test_agreements_recruit_in_their_source_country_only():
    """Agreement recruitment is in the source: a worker trained there who works in a third
    country (moving on) is not eligible for its slots, only for open recruitment."""
    country = [SRC, OTHER] * 20
    channel, *_ = match(IDS, [SRC] * 40, [DEST] * 40, country=country,
                        agreements=[(SRC, DEST, -1, 100)])  # fmt: skip
    for i, c, ch in zip(IDS, country, channel, strict=True):
        assert ch == (0 if c == SRC else OPEN), i


@pytest.mark.parametrize("rate", [0.0, 0.3])
def test_ethical_recruitment_turns_down_by_the_country_recruited_from_not_the_origin(rate):
    """A worker trained in a protected country who moves on from an unprotected one is taken; a
    worker trained elsewhere recruited from the protected country is only a passive applicant."""
    origin = [SRC, OTHER] * 20
    country = [OTHER, SRC] * 20
    channel, *_ = match(IDS, origin, [DEST] * 40, country=country, ethical=[DEST],
                        protected=[SRC], passive_rate=rate)  # fmt: skip
    for i, c, ch in zip(IDS, country, channel, strict=True):
        expected = passive_success(i, rate) if c == SRC else True
        assert (ch == OPEN) == expected, i


def test_a_deployment_cap_lets_exactly_the_allowance_leave_in_rank_order():
    channel, _, posts, left = match(IDS, [SRC] * 40, [DEST] * 40, allowance={SRC: 6},
                                    capped=[(SRC, 0)])  # fmt: skip
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    assert taken == set(_ranked(IDS)[:6])
    assert left[SRC] == 0 and posts[DEST, 0] == 10**6 - 6


def test_a_deployment_cap_counts_only_its_country_and_cadres():
    """Only applicants leaving a capped training country in a capped cadre use the allowance."""
    origin = [SRC] * 20 + [OTHER] * 20
    cadre = [0, 1] * 20
    channel, _, _, left = match(IDS, origin, [DEST] * 40, cadre=cadre,
                                allowance={SRC: 3, OTHER: 0}, capped=[(SRC, 0)])  # fmt: skip
    capped = [i for i, o, k in zip(IDS, origin, cadre, strict=True) if (o, k) == (SRC, 0)]
    taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN}
    assert taken == set(IDS) - set(capped) | set(_ranked(capped)[:3])
    assert left[SRC] == 0 and left[OTHER] == 0  # (OTHER is not capped: its allowance unused)


def test_migrants_moving_on_are_not_deployments_from_their_training_country():
    channel, _, _, left = match(IDS, [SRC] * 40, [DEST] * 40, country=[OTHER] * 40,
                                allowance={SRC: 2}, capped=[(SRC, 0)])  # fmt: skip
    assert (channel == OPEN).all() and left[SRC] == 2


@pytest.mark.parametrize("exempt", [False, True])
def test_agreement_hires_use_the_allowance_unless_exempt(exempt):
    channel, _, _, left = match(IDS, [SRC] * 40, [DEST] * 40, agreements=[(SRC, DEST, -1, 100)],
                                allowance={SRC: 6}, capped=[(SRC, 0)], exempt=exempt)  # fmt: skip
    hired = {i for i, c in zip(IDS, channel, strict=True) if c == 0}
    if exempt:
        assert hired == set(IDS) and left[SRC] == 6
    else:
        assert hired == set(_ranked(IDS)[:6]) and left[SRC] == 0
        assert (channel[channel != 0] == NOT_TAKEN).all()  # nor by open recruitment


def test_the_exemption_of_agreement_hires_is_the_origins_own():
    """Two capped origins with no deployments left, each with an agreement: only the exempt
    origin's agreement hires are taken (a lever's cap may count them, the world data's not)."""
    origin = [SRC, OTHER] * 20
    agreements = [(SRC, DEST, -1, 100), (OTHER, DEST, -1, 100)]
    capped = [(SRC, 0), (OTHER, 0)]
    exempt = np.array([True, False, True, True])
    channel, _, _, left = match(IDS, origin, [DEST] * 40, agreements=agreements,
                                allowance={SRC: 0, OTHER: 0}, capped=capped,
                                exempt=exempt)  # fmt: skip
    by_origin = dict(zip(IDS, origin, strict=True))
    hired = {by_origin[i] for i, c in zip(IDS, channel, strict=True) if c >= 0}
    assert hired == {SRC} and (channel[np.asarray(origin) == OTHER] == NOT_TAKEN).all()
    assert left[SRC] == 0 and left[OTHER] == 0


def test_the_exemption_of_agreement_hires_is_the_cadres_own():
    """One capped origin, no deployments left, an agreement for both cadres: only the exempt
    cadre's hires are taken (a lever capping nurses counts theirs, not the doctors')."""
    cadre = [0, 1] * 20
    exempt = np.ones((4, 2), dtype=bool)
    exempt[SRC, 1] = False
    channel, _, _, left = match(IDS, [SRC] * 40, [DEST] * 40, cadre=cadre,
                                agreements=[(SRC, DEST, -1, 100)], allowance={SRC: 0},
                                capped=[(SRC, 0), (SRC, 1)], exempt=exempt)  # fmt: skip
    taken = np.asarray(channel) == 0
    assert taken[np.asarray(cadre) == 0].all() and not taken[np.asarray(cadre) == 1].any()
    assert left[SRC] == 0


def test_an_applicant_held_by_the_cap_leaves_the_post_to_the_next():
    """ODD §7.5 in rank order: a post goes to the first applicant who may take it."""
    origin = [SRC, OTHER] * 20
    channel, _, posts, left = match(IDS, origin, [DEST] * 40, posts={(DEST, 0): 10},
                                    allowance={SRC: 3}, capped=[(SRC, 0)])  # fmt: skip
    expected, room, allowed = set(), 10, 3
    for i in _ranked(IDS):
        from_src = origin[IDS.index(i)] == SRC
        if room == 0 or (from_src and allowed == 0):
            continue
        expected.add(i)
        room -= 1
        allowed -= from_src
    assert {i for i, c in zip(IDS, channel, strict=True) if c == OPEN} == expected
    assert posts[DEST, 0] == 0 and left[SRC] == 0


@pytest.mark.parametrize("use", [0, 1, 5])
def test_deployment_allowances_accrue_by_step_and_lapse_at_the_year_end_but_the_fraction(use):
    """ODD §7.5: cap/ω·Δt agents accrue a step; allowed = ⌊accrued⌋ − used this year; at the
    year end the unused whole allowance lapses and only the fraction of an agent carries.
    Here cap 30 workers a year, ω = 20, Δt = 1/4: 0.375 agents a step; `use` deployments are
    made whenever allowed. Uncapped countries are never held."""
    pol = SimpleNamespace(deployment_cap=np.array([30.0, np.inf]))
    allowance = DeploymentAllowance(2)
    accrued, used, got, expected = 0.0, 0, [], []
    for step in range(12):  # three years
        allowed = allowance.available(pol, 20.0, 0.25)
        assert allowed[1] == DeploymentAllowance.UNCAPPED
        accrued += 0.375
        expected.append(math.floor(accrued + 1e-9) - used)
        got.append(int(allowed[0]))
        take = min(use, got[-1])
        after = allowed.copy()
        after[0] -= take
        allowance.consume(allowed, after)
        used += take
        if step % 4 == 3:
            allowance.end_year()
            accrued -= math.floor(accrued + 1e-9)
            used = 0
    assert got == expected
    # The same numbers written out: what is not used by the year end is lost, the fraction kept.
    written = {
        0: [0, 0, 1, 1, 0, 1, 1, 2, 0, 0, 1, 1],
        1: [0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0],
        5: [0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0],
    }
    assert got == written[use]


# ------------------------------------------------------------------ returns to home posts
def match_home(ids, origin, forced, home_posts, *, cadre=None, rural_share=0.0):
    """Run `matching.match_returns`; returns (channel, area, home posts left)."""
    n = len(ids)
    ids = np.asarray(ids, dtype=np.int64)
    table = _table(home_posts)
    channel, area = matching.match_returns(
        STEP, ids, _keys(ids), np.asarray(origin, dtype=np.int64),
        np.asarray(cadre or [0] * n, dtype=np.int64), np.asarray(forced, dtype=bool), table,
        np.full((4, 2), rural_share),
    )  # fmt: skip
    return channel, area, table


def _rural(i: int, share: float) -> int:
    return int(uniform(SEED, i, STEP, STREAM_AREA) < share)


@pytest.mark.parametrize("posts", [0, 4, 14, 100])
@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_contract_end_returners_go_first_and_always_go_voluntary_ones_only_to_a_post(posts, share):
    forced = [True] * 10 + [False] * 30
    channel, area, left = match_home(IDS, [SRC] * 40, forced, {(SRC, 0): posts},
                                     rural_share=share)  # fmt: skip
    ranked_forced = _ranked(IDS[:10])
    ranked_free = _ranked(IDS[10:])
    with_post = set(ranked_forced[:posts]) | set(ranked_free[: max(posts - 10, 0)])
    for i, c, a in zip(IDS, channel, area, strict=True):
        goes = i in with_post or i in ranked_forced
        assert c == (OPEN if goes else NOT_TAKEN), i
        # A returner with a post is placed by the home vacancies' rural share; a contract-end
        # returner without one goes to an urban area.
        assert a == (_rural(i, share) if i in with_post else 0), i
    assert left[SRC, 0] == max(posts - 40, 0)


def test_home_posts_are_per_training_country_and_cadre():
    origin = [SRC, OTHER] * 20
    cadre = [0] * 20 + [1] * 20
    posts = {(SRC, 0): 3, (OTHER, 0): 1, (SRC, 1): 0, (OTHER, 1): 5}
    channel, _, left = match_home(IDS, origin, [False] * 40, posts, cadre=cadre)
    for (o, k), n in posts.items():
        group = [i for i, oo, kk in zip(IDS, origin, cadre, strict=True) if (oo, kk) == (o, k)]
        taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN and i in group}
        assert taken == set(_ranked(group)[:n]), (o, k)
    assert left.sum() == 0


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
        "hazards.attrition_rate": {"doctors": 0.0, "nurses": 0.0}, "hazards.death_rate": 0.0,
        "hazards.retirement_scale": {"doctors": 0.0, "nurses": 0.0},
        "policies.agreements": [{"source": "XSR", "destination": "XDA", "quota": 400.0,
                                 "contract_years": years, "return_probability": 1.0}],
    })  # fmt: skip
    model = make_model(scenario, seed=5)
    hired, home, gone = {}, {}, {}
    while model.steps < model.n_steps:
        model.step()
        for w in model.population.workers:
            if w.agreement >= 0 and w not in hired:
                hired[w] = model.steps
            elif w in hired and w not in home and w.country == w.origin:
                home[w] = model.steps
        for w in hired:  # (only retirement at the maximum age is left: ages now reach 80)
            if w.status != rules.ACTIVE and w not in gone:
                gone[w] = model.steps
    assert len(hired) > 10
    assert home, "nobody came home"
    assert {home[w] - hired[w] for w in home} == {steps}
    # Everyone hired long enough before the end, and still working then, came home.
    due = [w for w, t in hired.items() if t + steps <= min(model.n_steps, gone.get(w, 10**9) - 1)]
    assert set(due) == set(home)
    assert {w.status for w in gone} <= {rules.RETIRED}


def _first_scan_draw(i, d, k, origin, member, partners, preference, channel_preference) -> bool:
    """Whether applicant `i` (trained in `origin[i - IDS[0]]`) is in the first scan at `d` for
    cadre `k`: a draw below the larger of the two preferences that apply (ODD §7.5)."""
    o = origin[i - IDS[0]]
    p_area = preference if (o in member and d in member and o != d) else 0.0
    p_channel = channel_preference if ((o, d, k) in partners and o != d) else 0.0
    p = max(p_area, p_channel)
    return p > 0 and preferred(i, p)


@settings(max_examples=60, deadline=None)
@given(
    origin=st.lists(st.sampled_from([SRC, OTHER, DEST, DEST2]), min_size=40, max_size=40),
    country=st.lists(st.sampled_from([SRC, OTHER, DEST, DEST2]), min_size=40, max_size=40),
    cadre=st.lists(st.sampled_from([0, 1]), min_size=40, max_size=40),
    destination=st.lists(st.sampled_from([DEST, DEST2]), min_size=40, max_size=40),
    posts=st.lists(st.integers(0, 12), min_size=4, max_size=4),
    members=st.sets(st.sampled_from([SRC, OTHER, DEST, DEST2])),
    partners=st.sets(
        st.tuples(
            st.sampled_from([SRC, OTHER, DEST, DEST2]),
            st.sampled_from([DEST, DEST2]),
            st.sampled_from([0, 1]),
        )
    ),
    preference=st.sampled_from([0.0, 0.3, 1.0]),
    channel_preference=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_the_first_scan_then_rank_order_fills_every_destination_and_cadre(
    origin, country, cadre, destination, posts, members, partners, preference, channel_preference
):
    """ODD §7.5 for any applicants, members and channels: at each destination and cadre the
    posts go first, in rank order, to the applicants whose draw falls below their first-scan
    probability (the larger of the two preferences that apply to their training country), then
    in rank order to everyone else; nobody takes a post at another destination or cadre."""
    table = {(DEST, 0): posts[0], (DEST, 1): posts[1], (DEST2, 0): posts[2], (DEST2, 1): posts[3]}
    channel, *_ = match(
        IDS, origin, destination, cadre=cadre, country=country, posts=table, members=members,
        preference=preference, partners=sorted(partners), channel_preference=channel_preference,
    )  # fmt: skip
    member = set(members)
    for (d, k), n in table.items():
        group = [i for i, dd, kk in zip(IDS, destination, cadre, strict=True) if (dd, kk) == (d, k)]

        first = [
            i
            for i in group
            if _first_scan_draw(i, d, k, origin, member, partners, preference, channel_preference)
        ]
        rest = [i for i in group if i not in first]
        expected = (sorted(first, key=priority) + sorted(rest, key=priority))[:n]
        taken = {i for i, c in zip(IDS, channel, strict=True) if c == OPEN and i in group}
        assert taken == set(expected), (d, k)

"""The field policy, decided field by field; convergence of concurrent edits over random interleavings."""
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from shared_schemas.policy import OwnershipMode as Mode
from sync_gateway.policy.engine import FieldState, decide, other
from sync_gateway.profiles.records import translate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_two_way_newer_change_wins_and_is_written():
    d = decide(Mode.TWO_WAY, "crm", FieldState("Augusta", at(2)), FieldState("Ada", at(1)))
    assert (d.write, d.value, d.conflict) == (True, "Augusta", False)


def test_two_way_older_change_loses_and_is_recorded_as_conflict():
    d = decide(Mode.TWO_WAY, "crm", FieldState("Augusta", at(1)), FieldState("Ada", at(2)))
    assert (d.write, d.conflict, d.winner) == (False, True, "ats")


def test_two_way_tie_goes_to_the_ats():
    assert decide(Mode.TWO_WAY, "ats", FieldState("A", at(1)), FieldState("B", at(1))).write
    assert not decide(Mode.TWO_WAY, "crm", FieldState("B", at(1)), FieldState("A", at(1))).write


def test_equal_values_are_never_written_again():
    for mode in Mode:
        assert not decide(mode, "ats", FieldState("x", at(5)), FieldState("x", at(1))).write


def test_union_only_adds_what_the_target_lacks():
    d = decide(Mode.UNION, "ats", FieldState(["a@x.io", "b@x.io"]), FieldState(["c@x.io", "a@x.io"]))
    assert d.value == ["c@x.io", "a@x.io", "b@x.io"]
    assert not decide(Mode.UNION, "ats", FieldState(["a@x.io"]), FieldState(["a@x.io", "z@x.io"])).write


def test_one_way_modes_flow_from_their_owner_only():
    assert decide(Mode.ATS, "ats", FieldState("hired"), FieldState("x")).write
    assert not decide(Mode.ATS, "crm", FieldState("hired"), FieldState("x")).write
    assert decide(Mode.CRM, "crm", FieldState("nurturing"), FieldState(None)).write
    assert not decide(Mode.CRM, "ats", FieldState("nurturing"), FieldState(None)).write
    assert not decide(Mode.NONE, "ats", FieldState("secret"), FieldState(None)).write


def test_prefer_crm_unless_blank():
    assert decide(Mode.PREFER_CRM_UNLESS_BLANK, "crm", FieldState("event"), FieldState("linkedin")).write
    assert not decide(Mode.PREFER_CRM_UNLESS_BLANK, "crm", FieldState(None), FieldState("linkedin")).write
    assert decide(Mode.PREFER_CRM_UNLESS_BLANK, "ats", FieldState("referral"), FieldState(None)).write
    assert not decide(Mode.PREFER_CRM_UNLESS_BLANK, "ats", FieldState("referral"), FieldState("event")).write


def test_source_values_that_mean_nothing_on_the_other_side_are_not_carried():
    assert translate("source", "linkedin", "crm") is None
    assert translate("source", "referral", "crm") == "referral"
    assert translate("source", "ats_import", "ats") is None


def test_two_way_win_over_the_targets_own_value_is_logged_but_plain_propagation_is_not():
    own = decide(Mode.TWO_WAY, "ats", FieldState("Rob", at(3)), FieldState("Robert", at(2)), before="Bob")
    assert (own.write, own.conflict, own.winner, own.rule) == (True, True, "ats", "two_way")
    plain = decide(Mode.TWO_WAY, "ats", FieldState("Rob", at(3)), FieldState("Bob", at(2)), before="Bob")
    assert (plain.write, plain.conflict) == (True, False)
    linked = decide(Mode.TWO_WAY, "crm", FieldState("Robert", at(3)), FieldState("Bob", at(2)), before=None)
    assert (linked.write, linked.conflict, linked.winner) == (True, True, "crm")


def test_prefer_unless_blank_logs_the_value_it_kept_out_and_the_value_it_overwrote():
    kept_out = decide(Mode.PREFER_CRM_UNLESS_BLANK, "ats", FieldState("linkedin"), FieldState("referral"), before="indeed")
    assert (kept_out.write, kept_out.conflict, kept_out.winner, kept_out.rule) == \
        (False, True, "crm", "prefer_crm_unless_blank")
    overwrote = decide(Mode.PREFER_CRM_UNLESS_BLANK, "crm", FieldState("event"), FieldState("linkedin"), before="referral")
    assert (overwrote.write, overwrote.conflict, overwrote.winner) == (True, True, "crm")
    caught_up = decide(Mode.PREFER_CRM_UNLESS_BLANK, "crm", FieldState("event"), FieldState("referral"), before="referral")
    assert (caught_up.write, caught_up.conflict) == (True, False)
    into_blank = decide(Mode.PREFER_CRM_UNLESS_BLANK, "ats", FieldState("linkedin"), FieldState(None), before=None)
    assert (into_blank.write, into_blank.conflict) == (True, False)
    never_set = decide(Mode.PREFER_CRM_UNLESS_BLANK, "crm", FieldState(None), FieldState("linkedin"), before=None)
    assert (never_set.write, never_set.conflict) == (False, False)


def test_one_way_rules_log_the_edit_they_did_not_carry_and_the_value_they_overwrote():
    not_carried = decide(Mode.ATS, "crm", FieldState("Staff engineer"), FieldState("Engineer"), before="Engineer")
    assert (not_carried.write, not_carried.conflict, not_carried.winner, not_carried.rule) == (False, True, "ats", "ats")
    overwrote = decide(Mode.ATS, "ats", FieldState("Lead"), FieldState("CRM's own"), before="Engineer")
    assert (overwrote.write, overwrote.conflict, overwrote.winner) == (True, True, "ats")
    plain = decide(Mode.CRM, "crm", FieldState("Lead"), FieldState("Engineer"), before="Engineer")
    assert (plain.write, plain.conflict) == (True, False)


def test_union_and_none_never_override_anything():
    assert not decide(Mode.UNION, "ats", FieldState(["a"]), FieldState(["b"]), before=[]).conflict
    assert not decide(Mode.NONE, "ats", FieldState("x"), FieldState("y"), before="z").conflict


# --- convergence -------------------------------------------------------------------------------------------

edits = st.lists(st.tuples(st.sampled_from(["ats", "crm"]), st.sampled_from(["Ada", "Augusta", "Byron", "King"]),
                           st.integers(min_value=0, max_value=20)), min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(edits=edits, order=st.randoms(use_true_random=False), clocks_agree=st.booleans())
def test_concurrent_two_way_edits_converge_whatever_the_arrival_order(edits, order, clocks_agree):
    """Users edit one field on both sides; each edit emits an event carrying that side's state and sequence.
    The gateway processes the events in any interleaving (even one side's events out of order); its own writes
    emit events that it drops (loop prevention). With agreeing clocks the latest edit wins; with arbitrarily
    skewed clocks (edit times per side only) both sides still end equal.
    Both sides end equal, holding the value of the latest edit (ties to the ATS)."""
    sides = {"ats": FieldState("Ada", at(0)), "crm": FieldState("Ada", at(0))}
    queue: list[tuple[str, FieldState, int]] = []
    sequence = {"ats": 0, "crm": 0}
    applied = {"ats": 0, "crm": 0}
    latest_edits: list[tuple[str, FieldState]] = [("ats", sides["ats"])]
    pending = list(edits)
    clock = 0
    while pending or queue:
        # interleave user edits and gateway processing at random
        if pending and (not queue or order.random() < 0.5):
            side, value, t = pending.pop(0)
            current = sides[side]
            if value == current.value:
                continue  # the service records no change, emits no event
            # a side's field time never goes backwards (the services guarantee it, whatever their clocks say)
            clock += 1
            t_edit = max(current.time + timedelta(microseconds=1), at(clock if clocks_agree else t))
            sides[side] = FieldState(value, t_edit)
            sequence[side] += 1
            queue.append((side, sides[side], sequence[side]))
            latest_edits.append((side, sides[side]))
        else:
            side, state, seq = queue.pop(order.randrange(len(queue)))
            if seq <= applied[side]:
                continue  # the gateway's per-aggregate cursor skips an event older than one already applied
            applied[side] = seq
            target = other(side)
            decision = decide(Mode.TWO_WAY, side, state, sides[target])
            if decision.write:
                sides[target] = FieldState(decision.value, state.time)
            elif decision.conflict:
                # the losing side is told the winner (its own pending events may still be older than it)
                back = decide(Mode.TWO_WAY, target, sides[target], sides[side])
                if back.write:
                    sides[side] = FieldState(back.value, sides[target].time)
    assert sides["ats"].value == sides["crm"].value
    latest = max(latest_edits, key=lambda e: (e[1].time, e[0] == "ats"))
    assert sides["ats"].value == latest[1].value or not clocks_agree


@settings(max_examples=200, deadline=None)
@given(adds=st.lists(st.tuples(st.sampled_from(["ats", "crm"]), st.sampled_from(["a", "b", "c", "d", "e"])), max_size=15),
       order=st.randoms(use_true_random=False))
def test_union_fields_converge_to_every_element_added_anywhere(adds, order):
    sides = {"ats": FieldState([]), "crm": FieldState([])}
    queue: list[tuple[str, FieldState]] = []
    for side, element in adds:
        if element not in sides[side].value:
            sides[side] = FieldState([*sides[side].value, element])
            queue.append((side, sides[side]))
    while queue:
        side, state = queue.pop(order.randrange(len(queue)))
        d = decide(Mode.UNION, side, state, sides[other(side)])
        if d.write:
            sides[other(side)] = FieldState(d.value)
    assert set(sides["ats"].value) == set(sides["crm"].value) == {e for _, e in adds}

"""How `tocsin policy list` words a step: the policy handed over to by name, and a
round robin over chosen members by their emails in turn."""

from tocsin.cli.channels import whom
from tocsin.domain.people import Method, Reach, Target, TargetKind


def test_a_hand_over_names_the_policy_and_a_round_robin_its_members() -> None:
    reach = Reach(
        (
            Target(TargetKind.POLICY, policy_id=2),
            Target(TargetKind.ROUND_ROBIN, user_ids=(5, 3)),
        ),
        frozenset({Method.EMAIL}),
    )
    emails = {3: "ann@example.com", 5: "bob@example.com"}
    words = whom(["ops"], reach, emails, {2: "night shift"})
    assert words == (
        "ops, hand over to 'night shift', the next of bob@example.com, ann@example.com "
        "in turn by email"
    )


def test_a_hand_over_alone_uses_no_method_and_an_unknown_policy_is_named_by_id() -> None:
    reach = Reach((Target(TargetKind.POLICY, policy_id=9),), frozenset())
    assert whom([], reach, {}) == "hand over to policy 9"

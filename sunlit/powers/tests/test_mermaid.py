from sunlit.powers.mermaid import flow_to_mermaid
from sunlit.powers.tests.docs import works_flow


def test_mermaid_has_every_step_and_transition():
    source = flow_to_mermaid(works_flow(), {"village_chair": "村委会主任"})
    assert source.startswith("flowchart TD")
    assert source.count("-->") + source.count("-.->") == 5
    assert "村委会主任" in source
    assert "-.->" in source  # the guarded branch is drawn dashed


def test_mermaid_escapes_injection():
    flow = works_flow()
    flow["steps"][0]["name"] = 'evil"] --> x[<script>alert(1)</script>'
    source = flow_to_mermaid(flow)
    assert "<script>" not in source
    assert '"]' not in source.splitlines()[1][:-2]


def test_mermaid_highlights_case_states_and_ignores_unknown_keys():
    flow = works_flow()
    keys = [s["key"] for s in flow["steps"]]
    source = flow_to_mermaid(flow, states={keys[0]: "done", keys[1]: "current", "ghost": "done"})
    assert "  class s0 done" in source
    assert "  class s1 current" in source
    assert "classDef done " in source
    assert "overdue" not in source
    assert flow_to_mermaid(flow) == flow_to_mermaid(flow, states={})

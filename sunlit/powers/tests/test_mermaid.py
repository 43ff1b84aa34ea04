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

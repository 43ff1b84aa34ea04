"""Complaints and reports (投诉建议 / 信访举报): intake, routing, deadlines, reporter protection."""

"""Deploy: compiled flows → `infra/statemachines/*.asl.json` + SAM `template.yaml`, and checks.

`build.generate(root)` computes every artifact in memory; `build.write` / `build.stale` write or
compare them; `validate` runs statelint, the offline SAM transform, cfn-lint and `sam validate`.
Layering: this package reads the graph, the planner and schedules — never the engine or the CLI.
"""

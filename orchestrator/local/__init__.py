"""Local runs: a flow's compiled ASL on the engine, its Task states calling the runtime handler.

The layer between the pure interpreter (`orchestrator.engine`) and the user: it resolves each
Task state's function placeholder to the task it deploys, keeps executions in the run store, and
reads a finished execution back into a `FlowRun`.
"""

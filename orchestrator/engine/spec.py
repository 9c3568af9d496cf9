"""What AWS fixes: the Step Functions facts the interpreter implements and the planner targets.

Every number here comes from the Amazon States Language specification or the Step Functions
developer guide ("Quotas", "Retrying after an error", "Map state"). This module imports nothing,
so the SDK (validating a retry policy), the planner (emitting one) and the deploy layer (checking
an Express flow's worst case) read the same facts the engine enforces, without loading the engine.
"""

from __future__ import annotations

# -- service integrations -----------------------------------------------------------------------
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
#: A Distributed Map's ItemReader reads one object ("ItemReader (Map)": JSON, JSON Lines or a
#: text delimited file) with s3:getObject, or lists objects with s3:listObjectsV2.
S3_GET_OBJECT = "arn:aws:states:::s3:getObject"
S3_LIST_OBJECTS_V2 = "arn:aws:states:::s3:listObjectsV2"
#: Its ResultWriter exports the child executions' results with s3:putObject ("ResultWriter (Map)").
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"
#: Start another state machine's execution and wait for it to finish ("Start a new AWS Step
#: Functions state machine from a running execution"): the Task's result is DescribeExecution's
#: response, whose Input and Output the `:2` suffix gives as JSON rather than as strings. A
#: failed child fails the Task with States.TaskFailed and that response, as JSON, for Cause.
START_EXECUTION_SYNC2 = "arn:aws:states:::states:startExecution.sync:2"

# -- quotas ------------------------------------------------------------------------------------
#: A state's input or output, an execution's input or output: 256 KiB of UTF-8 JSON.
MAX_PAYLOAD_BYTES = 256 * 1024
#: An inline Map runs at most 40 iterations at once (MaxConcurrency 0 means "as many as that").
INLINE_MAP_MAX_CONCURRENCY = 40
#: A Distributed Map runs at most 10,000 child executions at once.
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
#: A Standard execution's history holds at most 25,000 events (an inline Map's iterations
#: are in it; a Distributed Map's children each have their own).
STANDARD_HISTORY_EVENTS = 25_000
#: "Maximum size of state machine definition: 1 MB", a hard quota ("Quotas related to
#: accounts"). The page does not say whether a MB is 10^6 or 2^20 bytes: the smaller, to be safe.
MAX_DEFINITION_BYTES = 1_000_000
#: A Lambda function runs at most 15 minutes.
LAMBDA_MAX_TIMEOUT_SECONDS = 900
LAMBDA_MEMORY_MB = (128, 10_240)
#: An AWS resource tag's value: at most 256 characters.
MAX_TAG_VALUE = 256
#: State machine names: 1–80 characters of A-Z a-z 0-9 - _.
STATE_MACHINE_NAME_PATTERN = r"[A-Za-z0-9_-]{1,80}"
#: An Express execution is stopped after five minutes.
EXPRESS_MAX_SECONDS = 300
#: CreateStateMachine's `type`.
STATE_MACHINE_TYPES = ("STANDARD", "EXPRESS")

# -- workflow variables ("Passing data between states with variables") ------------------------
#: A variable name: a Unicode identifier of at most 80 characters; `states` is reserved.
VARIABLE_NAME_MAX_LENGTH = 80
RESERVED_VARIABLE_NAMES = frozenset({"states"})
#: "The maximum size of a single variable is 256 KiB", and of all the variables one `Assign`
#: sets together; "the total size of all stored variables in a single execution is 10 MiB".
VARIABLE_MAX_BYTES = 256 * 1024
ASSIGN_MAX_BYTES = 256 * 1024
VARIABLES_MAX_TOTAL_BYTES = 10 * 1024 * 1024

# -- Retry fields (ASL spec "Retrying after an error"; CreateStateMachine refuses the rest) ----
RETRY_DEFAULT_INTERVAL_SECONDS = 1
RETRY_DEFAULT_MAX_ATTEMPTS = 3
RETRY_DEFAULT_BACKOFF_RATE = 2.0
RETRY_MAX_INTERVAL_SECONDS = 99_999_999
RETRY_MAX_ATTEMPTS = 99_999_999
RETRY_MIN_BACKOFF_RATE = 1.0
RETRY_MAX_DELAY_SECONDS = 31_622_400  # one year and a day
JITTER_STRATEGIES = ("FULL", "NONE")
RETRY_DEFAULT_JITTER_STRATEGY = "NONE"

# -- other state fields CreateStateMachine bounds (developer guide, one page per state type) ----
#: Task TimeoutSeconds / HeartbeatSeconds: "a positive, non-zero integer", default 99,999,999.
TASK_MAX_TIMEOUT_SECONDS = 99_999_999
#: Wait Seconds: "an integer value from 0 to 99999999".
WAIT_MAX_SECONDS = 99_999_999
#: Map ProcessorConfig.Mode (INLINE by default) and, for DISTRIBUTED, the required ExecutionType.
MAP_MODES = ("INLINE", "DISTRIBUTED")
MAP_EXECUTION_TYPES = ("STANDARD", "EXPRESS")
#: A Distributed Map's ToleratedFailurePercentage: "a value between zero and 100".
MAP_MAX_TOLERATED_FAILURE_PERCENTAGE = 100
#: A Distributed Map's Label ("Distributed Map state fields"): at most 40 characters, none of them
#: whitespace, a wildcard, a bracket, one of the special characters below or a control character
#: (U+0000-U+001F, U+007F-U+009F). It names the Map Run (`mapRun:<machine>/<label>:<id>`).
MAP_LABEL_MAX_LENGTH = 40
MAP_LABEL_FORBIDDEN = frozenset('?*<>{}[]:;,\\|^~$#%&`"')

# -- Distributed Map ItemReader ("ItemReader (Map)", "How Step Functions parses input CSV files") -
#: ReaderConfig.InputType values; MANIFEST (an S3 inventory) and PARQUET are not read locally.
ITEM_READER_INPUT_TYPES = ("CSV", "JSON", "JSONL", "PARQUET", "MANIFEST")
#: CSVHeaderLocation: the file's first row, or CSVHeaders in the definition.
CSV_HEADER_LOCATIONS = ("FIRST_ROW", "GIVEN")
#: CSVDelimiter names and the characters they stand for (COMMA by default).
CSV_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
#: ReaderConfig.Transformation, with the s3:listObjectsV2 Resource: NONE iterates over the listed
#: objects' metadata, LOAD_AND_FLATTEN over the items in the objects, read as InputType says.
ITEM_READER_TRANSFORMATIONS = ("NONE", "LOAD_AND_FLATTEN")
#: ReaderConfig.MaxItems: "You can specify a limit of up to 100,000,000".
ITEM_READER_MAX_ITEMS = 100_000_000

# -- Distributed Map ItemBatcher ("ItemBatcher (Map)") -------------------------------------------
#: MaxInputBytesPerBatch: "the maximum size of a batch in bytes, up to 256 KiB"; without it (or
#: MaxItemsPerBatch alone) a batch holds "as many items it can process up to 256 KiB".
ITEM_BATCHER_MAX_INPUT_BYTES = 256 * 1024

# -- Distributed Map ResultWriter ("ResultWriter (Map)") -----------------------------------------
#: WriterConfig.Transformation: NONE (records with execution metadata; the default when exporting
#: without a WriterConfig), COMPACT (the outputs; the default without a ResultWriter), FLATTEN
#: (array outputs flattened one level).
RESULT_WRITER_TRANSFORMATIONS = ("NONE", "COMPACT", "FLATTEN")
#: WriterConfig.OutputType: a JSON array, or JSON Lines.
RESULT_WRITER_OUTPUT_TYPES = ("JSON", "JSONL")

# -- RedriveExecution (API reference; "Restarting state machine executions with redrive") -------
#: "Your workflow execution has not exceeded the redrivable period of 14 days. [...] This period
#: starts from the day a state machine completes its execution."
REDRIVABLE_PERIOD_DAYS = 14
#: "The execution event history count is less than 24,999": room for the ExecutionRedriven event
#: "and at least one other history event".
REDRIVE_MAX_HISTORY_EVENTS = 24_999
#: "The workflow execution has not exceeded the maximum open time of one year."
EXECUTION_MAX_OPEN_DAYS = 365

# -- intrinsic functions ("Intrinsics for Math operations") ------------------------------------
#: States.MathAdd's arguments: "integer values in the range of -2147483648 and 2147483647".
MATH_ADD_MIN, MATH_ADD_MAX = -2_147_483_648, 2_147_483_647

# -- where a local run pretends to be ------------------------------------------------------------
#: The region and account of local executions' ARNs (and moto's defaults, so ARNs agree there).
LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"


def backoff_seconds(
    interval: float, backoff_rate: float, max_delay: float | None, retry: int
) -> float:
    """The wait before the `retry`-th retry (0-based) of one retrier, before jitter.

    IntervalSeconds × BackoffRate^retry, capped by MaxDelaySeconds: the one formula the engine
    waits by, and the deploy layer sums for an Express flow's worst case.
    """
    seconds = interval * backoff_rate**retry
    return seconds if max_delay is None else min(seconds, max_delay)

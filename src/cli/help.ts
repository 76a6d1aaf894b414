// Help texts, kept apart from the parsing so they read as the user sees them.

export const mainHelp = `Usage: logship COMMAND [OPTIONS]

Tails log files, parses them into one event schema and ships them with
at-least-once delivery.

Commands:
  run        run the shipper (the daemon)
  validate   check a config file and print every problem in it
  parse      parse log lines from a file or stdin and print events as NDJSON
  buffer     inspect or verify the outputs' buffers on disk (inspect, verify)
  top        live figures of a running logship (its admin listener)
  tap        sample live events of a running logship at a stage
  convert    turn a Fluentd or Fluent Bit config into a logship config, and
             import their read positions

Options:
  -h, --help     show this help, or a command's help: logship COMMAND --help
      --version  print the version

The config file is --config FILE, else $LOGSHIP_CONFIG, else ./logship.yaml.
Exit codes: 0 ok, 1 bad config or input, 2 usage error.
`;

export const runHelp = `Usage: logship run [--config FILE]

Runs the shipper until SIGTERM or SIGINT, then drains and exits 0.

Options:
  -c, --config FILE  config file (default: $LOGSHIP_CONFIG, else ./logship.yaml)
  -h, --help         show this help
`;

export const validateHelp = `Usage: logship validate [--config FILE]

Checks a config file against the schema, with environment variables
substituted, and prints every problem by its path in the file:

  outputs[0].object.max_bytes: expected a size like 5MiB, got "5 potatoes" (line 12)

Exits 0 when the config is valid, 1 when it is not.

Options:
  -c, --config FILE  config file (default: $LOGSHIP_CONFIG, else ./logship.yaml)
  -h, --help         show this help
`;

export const parseHelp = `Usage: logship parse --format NAME [--multiline PRESET | --multiline-start REGEX]
                     [--timezone TZ] [--expect GOLDEN.ndjson] [FILE|-]
       logship parse --config FILE [--input NAME] [--expect GOLDEN.ndjson] [FILE|-]

Reads raw log lines from FILE (or stdin, "-" or nothing) and prints normalised
events as NDJSON on stdout, through the same parser chain as logship run; ships
nothing. Parse failures are listed on stderr (the events keep the raw line,
tagged parse_failure).

Options:
  -f, --format NAME        json, logfmt, key_value, regex, syslog, nginx, apache,
                           nginx_error, apache_error, klog, cri, docker, plain,
                           or auto (json / logfmt / plain, guessed per line);
                           a comma list (json,nginx,plain): the first that parses wins
      --container cri|docker  unwrap container log lines before --format
      --pattern REGEX      the regex of --format regex (named groups become fields)
      --multiline PRESET   java, python, go, ruby, node, dotnet, php; several: java,go
      --multiline-start REGEX  a line matching REGEX starts a new event
      --timezone TZ        zone for timestamps that carry none (default UTC)
      --time-format FMT    strptime format for other timestamps (%Y-%m-%d %H:%M:%S)
  -c, --config FILE        take the parsing settings of an input in FILE instead
      --input NAME         which input of --config (default: the first)
      --expect GOLDEN      compare with a golden NDJSON file instead of printing:
                           a field-by-field diff and exit 1 when they differ
      --read-time TIME     the time given to events without their own, and "now"
                           for year inference (default: now); fix it for goldens
  -h, --help               show this help
`;

export const bufferHelp = `Usage: logship buffer inspect --path DIR [--json]
       logship buffer verify --path DIR

Reads the on-disk buffers and changes nothing (a torn tail is cut and damage
quarantined by logship run on its next start, not here). DIR is the state
directory (buffer.path, holding buffers/<output>/) or one output's buffer
directory (holding seg-*.log, ack.json, quarantine/).

  inspect  per output: segments, records (not yet acknowledged / all valid),
           bytes, the oldest unacknowledged record's time, the acknowledged
           position (id, segment, offset) and the quarantined files
  verify   checks the CRC of every record in every segment; prints
           "N segments, M records, all CRCs good" and exits 0, or names each
           damaged place on stderr and exits 1:
             logship: …/seg-0000000000000000.log: offset 1234: CRC mismatch (52 bytes up to offset 1286)
           A buffer that logship run is writing may show a torn tail.

Options:
  -p, --path DIR  the state directory or an output's buffer directory
      --json      inspect: print JSON instead of a table
  -h, --help      show this help

Exit codes: 0 ok, 1 DIR missing or holding no buffer, or (verify) damage found,
2 usage error.
`;

export const topHelp = `Usage: logship top [--server HOST:PORT] [--once]

Shows what a running logship does, from its admin listener (server.admin_listen,
docs/live-view.md), refreshed every second: readiness and its reasons; per
input the files, lines/s, events/s, bytes behind the end of the files and parse
failures; per output events/s, buffer bytes and the oldest record's age,
retries, dead letters and the current failure; the last errors.

Options:
  -s, --server HOST:PORT  the admin listener (default 127.0.0.1:2021)
      --once              print one plain-text frame and exit (also what
                          happens when stdout is not a terminal)
  -h, --help              show this help

Exit codes: 0 ok, 1 the admin listener cannot be reached, 2 usage error.
`;

export const tapHelp = `Usage: logship tap [--server HOST:PORT] [--stage parsed|shipped|read]
                   [--input NAME] [--output NAME] [--limit N] [--rate N/s]
                   [--format json|pretty]

Samples live events of a running logship from its admin listener
(server.admin_listen, docs/live-view.md) and prints them, until --limit
events came, logship stops, or Ctrl-C. Stages:

  parsed   events as they enter the buffers, after the processors (redacted)
  shipped  events as an output acknowledges them
  read     raw lines with their file and offset, before redaction: only
           when the config sets server.admin_allow_raw: true

A tap costs logship nothing while none is attached, and a slow tap never slows
it: events this client cannot take in time are dropped and their count said on
stderr.

Options:
  -s, --server HOST:PORT  the admin listener (default 127.0.0.1:2021)
      --stage STAGE       parsed (default), shipped or read
      --input NAME        only events of this input (parsed, read)
      --output NAME       only events for this output (parsed, shipped)
  -n, --limit N           stop after N events
      --rate N/s          at most N events a second (a sample)
  -f, --format FORMAT     json (default: one JSON line per event, with its
                          stage and input or output) or pretty (one line per
                          event, coloured on a terminal)
  -h, --help              show this help

Exit codes: 0 ok, 1 the admin listener cannot be reached or refused the tap,
2 usage error.
`;

export const convertHelp = `Usage: logship convert --from fluentd|fluent-bit FILE
       logship convert --import-positions [--config FILE] [--force] POSITIONS...

The first form prints a logship config (YAML) for a Fluentd config (td-agent.conf,
fluent.conf) or a Fluent Bit config (classic .conf or YAML): tail inputs, their
parsers and multi-line settings, record_transformer / record_modifier / modify
static fields, grep filters, and Elasticsearch, OpenSearch, S3, file and stdout
outputs with their buffer and flush settings. Every directive it cannot convert
is named in a comment saying why. Check the result with logship validate.

The second form reads the positions the old shipper kept, Fluentd pos_files and
Fluent Bit tail DB files (SQLite; needs Node >= 22.5), and writes logship
checkpoints for the same files (matched by inode, fingerprinted by their first
line) into buffer.path of the logship config, so the first logship run resumes
where the old shipper stopped. Each file is listed with the input it went to.

Options:
      --from DIALECT      fluentd or fluent-bit
      --import-positions  import pos_files / tail DBs instead of converting a config
  -c, --config FILE       the logship config the positions are for (default:
                          $LOGSHIP_CONFIG, else ./logship.yaml)
      --force             replace checkpoints logship already wrote
  -h, --help              show this help

Exit codes: 0 ok, 1 FILE unreadable or not that dialect (or, importing, nothing
could be imported), 2 usage error. See docs/convert.md.
`;

// Help texts, kept apart from the parsing so they read as the user sees them.

export const mainHelp = `Usage: logship COMMAND [OPTIONS]

Tails log files, parses them into one event schema and ships them with
at-least-once delivery.

Commands:
  run        run the shipper (the daemon)
  validate   check a config file and print every problem in it
  parse      parse log lines from a file or stdin and print events as NDJSON

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
                           or auto (json / logfmt / plain, guessed per line)
      --container cri|docker  unwrap container log lines before --format
      --pattern REGEX      the regex of --format regex (named groups become fields)
      --multiline PRESET   java, python, go, ruby, node, dotnet, php
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

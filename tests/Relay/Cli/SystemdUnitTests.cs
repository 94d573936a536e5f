using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// The example units in deploy/systemd start relay with a command line it accepts. Each unit's ExecStart is expanded
/// as systemd expands it (the instance name, the unit's Environment=, the credentials and state directories), once
/// without an environment file and once for each example assignment its comments show (<c>#   RELAY_ARGS="..."</c>),
/// then parsed by relay's own command line. Nothing is started and nothing is bound.
/// </summary>
public partial class SystemdUnitTests
{
    /// <summary>The instance name templated units get here: a board's host name.</summary>
    private const string Instance = "spinn-4";

    /// <summary>Where docs/install.md installs the binary.</summary>
    private const string Binary = "/usr/local/bin/relay";

    public static TheoryData<string> Units()
    {
        var data = new TheoryData<string>();
        foreach (var path in UnitPaths())
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    /// <summary>Each unit with no environment file (""), then with each example assignment of its comments.</summary>
    public static TheoryData<string, string> UnitsWithExamples()
    {
        var data = new TheoryData<string, string>();
        foreach (var path in UnitPaths())
        {
            var unit = SystemdUnit.Read(path, Instance);
            data.Add(Path.GetFileName(path), "");
            foreach (var example in unit.Examples)
            {
                data.Add(Path.GetFileName(path), example);
            }
        }

        return data;
    }

    [Fact]
    public void The_tunnel_unit_leaves_a_stop_time_to_clear_the_ip_tags_of_live_flows()
    {
        // On SIGTERM relay tunnel serve clears the IP tags it set on the board and waits for that a bounded time; systemd
        // must not kill it first (which would leave the board sending to closed ports).
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), "relay-tunnel@.service"), Instance);
        var seconds = int.Parse(Assert.Single(unit.Values("TimeoutStopSec")).TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(TimeSpan.FromSeconds(seconds) >= 2 * FastSpinnRelay.Relay.Tunneling.Internal.LiveTagCleaner.ShutdownWait, $"TimeoutStopSec={seconds}s");
    }

    [Fact]
    public void Each_long_running_gateway_verb_has_a_unit()
    {
        var files = UnitPaths().Select(Path.GetFileName).ToList();

        Assert.Contains("relay-server@.service", files);
        Assert.Contains("relay-tunnel@.service", files);
        Assert.Contains("relay-spalloc.service", files);
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Each_unit_waits_for_relay_to_say_it_is_ready(string file)
    {
        // relay sends READY=1 once its sockets are bound (Diagnostics/SystemdNotify): the unit must wait for it.
        var lines = File.ReadAllLines(Path.Combine(UnitDirectory(), file)).Select(l => l.Trim()).ToList();

        Assert.Contains("Type=notify", lines);
        Assert.Contains("NotifyAccess=main", lines);
    }

    [Theory]
    [MemberData(nameof(UnitsWithExamples))]
    public async Task ExecStart_is_a_command_line_relay_accepts(string file, string example)
    {
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), file), Instance);
        var environment = unit.Environment();
        if (example.Length > 0)
        {
            var (name, value) = SystemdUnit.Assignment(example);
            environment[name] = value is ['"', .. var quoted, '"'] ? quoted : value; // as an environment file reads it
        }

        var command = unit.ExecStart(environment);
        var args = command[1..];
        var parse = RelayCommandLine.Build().Parse(args);

        Assert.Equal(Binary, command[0]);
        Assert.True(parse.Errors.Count == 0, $"{file} ({example}): {string.Join(' ', args)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        switch (args[0])
        {
            case "server":
                // relay server checks its options as a whole before it resolves or binds: run that check.
                Assert.Equal(Instance, (await ServerOptionsAsync(args)).Target);
                break;
            case "spalloc":
                // The flags' share of what spalloc serve checks before it starts (the rest is in the configuration file).
                var options = new SpallocServerOptions
                {
                    Listen = parse.GetValue<IPEndPoint>("--listen")!,
                    BasePath = parse.GetValue<string>("--base-path")!,
                    TlsCertificatePath = parse.GetValue<string?>("--tls-cert"),
                    TlsKeyPath = parse.GetValue<string?>("--tls-key"),
                    StateFilePath = parse.GetValue<string?>("--state-file"),
                };
                Assert.Equal("serve", args[1]);
                Assert.True(options.GetProblems().Count == 0, string.Join("; ", options.GetProblems()));
                break;
            default:
                // relay tunnel serve checks the rest (the key file, the certificate with its key) only when it runs,
                // just before it binds: parsing is what can be checked here.
                Assert.Equal(["tunnel", "serve", Instance], args[..3]);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Every_credential_and_state_file_ExecStart_names_is_declared(string file)
    {
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), file), Instance);
        var credentials = unit.Values("LoadCredential").Select(v => v[..v.IndexOf(':', StringComparison.Ordinal)]).ToList();
        var stateDirectories = unit.Values("StateDirectory").SelectMany(SystemdUnit.Words).ToList();
        var command = unit.ExecStart(unit.Environment());

        foreach (var arg in command.Where(a => a.StartsWith(unit.CredentialsDirectory + "/", StringComparison.Ordinal)))
        {
            Assert.Contains(arg[(unit.CredentialsDirectory.Length + 1)..], credentials);
        }

        foreach (var id in credentials)
        {
            Assert.Contains($"{unit.CredentialsDirectory}/{id}", command);
        }

        foreach (var arg in command.Where(a => a.StartsWith("/var/lib/", StringComparison.Ordinal)))
        {
            Assert.Contains(arg.Split('/')[3], stateDirectories);
        }
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Every_runtime_file_ExecStart_names_is_in_a_declared_runtime_directory(string file)
    {
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), file), Instance);
        var runtimeDirectories = unit.Values("RuntimeDirectory").SelectMany(SystemdUnit.Words).ToList();

        foreach (var arg in unit.ExecStart(unit.Environment()).Where(a => a.StartsWith("/run/", StringComparison.Ordinal) && !a.StartsWith(unit.CredentialsDirectory, StringComparison.Ordinal)))
        {
            Assert.Contains(arg.Split('/')[2], runtimeDirectories);
        }
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Only_a_verb_that_reloads_on_SIGHUP_has_ExecReload_and_it_reads_the_edited_files(string file)
    {
        // SIGHUP ends a relay that does not reload (the default action): spalloc serve, tunnel serve and server handle it.
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), file), Instance);
        var command = unit.ExecStart(unit.Environment());
        var reload = unit.Values("ExecReload").ToList();
        string[] reread = command[1..3] switch
        {
            ["spalloc", "serve"] => ["--config"],
            ["tunnel", "serve"] => ["--key-file", "--tls-cert", "--tls-key", "--tls-client-allow"],
            _ => [],
        };
        if (reread.Length == 0)
        {
            // Nothing copied before the signal: the verb reads no file again (relay server only resolves its board's name).
            Assert.Equal(ResolvesItsBoardOnReload(command) ? ["/bin/kill -HUP $MAINPID"] : [], reload);
            return;
        }

        Assert.Equal("/bin/kill -HUP $MAINPID", reload[^1]);

        // A credential is copied once, at start: a reload would read that copy unchanged. So no file the verb reads again
        // is one, and what ExecReload does before the signal is what ExecStartPre did before the start: copy each file
        // the admin edits over the one the verb reads, as root ('+': /etc/relay is root's alone), into the runtime
        // directory, which only the service may enter.
        var refresh = unit.Values("ExecStartPre").ToList();
        Assert.Equal(refresh, reload[..^1]);
        var copies = refresh.Select(r => (Line: r, Words: SystemdUnit.Copy(r))).ToList();
        foreach (var (line, words) in copies)
        {
            Assert.StartsWith("+", line, StringComparison.Ordinal);
            Assert.Equal(["/usr/bin/install", "-m", "644"], words[..3]);
            Assert.True(words[^2].StartsWith("/etc/relay/", StringComparison.Ordinal) || words[^2] == "/dev/null", line);
        }

        foreach (var flag in reread)
        {
            var path = command[Array.IndexOf(command, flag) + 1];
            Assert.False(path.StartsWith(unit.CredentialsDirectory + "/", StringComparison.Ordinal), path);
            var last = copies.Last(c => c.Words[^1] == path);
            Assert.StartsWith("/etc/relay/", last.Words[^2], StringComparison.Ordinal);
        }

        Assert.Contains("0700", unit.Values("RuntimeDirectoryMode"));
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void An_optional_file_may_be_absent_and_relay_accepts_what_stands_in_for_it(string file)
    {
        // LoadCredential= of a missing file fails the start, unless SetCredential= of the same id gives a default; a copy
        // marked '-' may fail, when a copy of /dev/null (an empty file) to the same place went before it.
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), file), Instance);
        var loaded = unit.Values("LoadCredential").Select(v => v[..v.IndexOf(':', StringComparison.Ordinal)]).ToList();
        var command = unit.ExecStart(unit.Environment());
        var standIns = new List<(string Path, string Text)>();
        foreach (var (id, text) in unit.Values("SetCredential").Select(v => SplitAt(v, ':')))
        {
            Assert.Contains(id, loaded); // a default for a file the admin may add, not a fixed value
            Assert.DoesNotContain('\\', text); // written as it is, with no C escapes to undo
            standIns.Add(($"{unit.CredentialsDirectory}/{id}", text));
        }

        var copies = unit.Values("ExecStartPre").ToList();
        foreach (var (optional, i) in copies.Select((c, i) => (c, i)).Where(c => c.c.StartsWith("+-", StringComparison.Ordinal)))
        {
            var destination = SystemdUnit.Words(optional.TrimStart('+', '-'))[^1];
            Assert.Contains(copies[..i], c => SystemdUnit.Words(c.TrimStart('+'))[^2..] is ["/dev/null", var to] && to == destination);
            standIns.Add((destination, ""));
        }

        foreach (var (path, text) in standIns)
        {
            var flag = command[Array.IndexOf(command, path) - 1];
            using var directory = new ScratchDirectory("relay-unit-credential-");
            File.WriteAllText(directory.File("stand-in"), text);
            switch (flag)
            {
                case "--tls-client-allow":
                    // The stand-in lists no one; the key (on unless the environment file turns it off) is still a way in.
                    // With the key off, relay refuses to start on it (TunnelClientCertificateFlagsTests).
                    Assert.Empty(TunnelClientCertificateFlags.LoadAllowList([directory.File("stand-in")]).Entries);
                    Assert.Contains("--key-file", command);
                    break;
                default:
                    Assert.Fail($"{file}: no check here for the stand-in of {flag} ({path})");
                    break;
            }
        }
    }

    [Fact]
    public void The_tunnel_unit_passes_and_copies_the_shared_key_unless_its_environment_file_turns_it_off()
    {
        // An admin whose users all have certificates turns the key off, so that deleting a user's line revokes them
        // for good: nobody can come in with the key instead.
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), "relay-tunnel@.service"), Instance);
        var byDefault = unit.ExecStart(unit.Environment());
        var key = byDefault[Array.IndexOf(byDefault, "--key-file") + 1];
        var (variable, copy) = KeyCopy(unit, key);

        Assert.Equal("/run/relay-tunnel-spinn-4/tunnel.key", key);
        Assert.Equal(["/usr/bin/install", "-m", "644", "/etc/relay/tunnel-spinn-4.key", key], copy);
        Assert.Contains($"${variable}", SystemdUnit.Words(Assert.Single(unit.Values("ExecStart"))));
        Assert.Contains($"{variable}=\"\"", unit.Examples); // the switch, shown in the comments

        var off = unit.Environment();
        off[variable] = "";
        var certificatesOnly = unit.ExecStart(off);

        Assert.DoesNotContain("--key-file", certificatesOnly);
        Assert.DoesNotContain(certificatesOnly, a => a.EndsWith(".key", StringComparison.Ordinal) && a != "/run/relay-tunnel-spinn-4/tls.key");
        Assert.Contains("--tls-client-allow", certificatesOnly);
        Assert.Empty(RelayCommandLine.Build().Parse(certificatesOnly[1..]).Errors);
    }

    [Fact]
    public void The_tunnel_units_key_copy_follows_the_switch_and_never_leaves_a_stale_copy_in_force()
    {
        // The copy line itself, run by the shell systemd would run (paths moved into a scratch directory): relay reads
        // the copy again at each reload, so a copy that outlives the key, or the switch, would keep letting the key in.
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), "relay-tunnel@.service"), Instance);
        var on = unit.Environment();
        var byDefault = unit.ExecStart(on);
        var (variable, _) = KeyCopy(unit, byDefault[Array.IndexOf(byDefault, "--key-file") + 1]);
        var line = Assert.Single(unit.Values("ExecStartPre"), l => l.Contains($"$${variable}", StringComparison.Ordinal));
        using var directory = new ScratchDirectory("relay-unit-key-");
        Directory.CreateDirectory(directory.File("etc"));
        Directory.CreateDirectory(directory.File("run"));
        var words = SystemdUnit.Words(line.TrimStart('+'));
        var script = words[2]
            .Replace("$$", "$", StringComparison.Ordinal)
            .Replace("/etc/relay/", directory.File("etc") + "/", StringComparison.Ordinal)
            .Replace($"/run/relay-tunnel-{Instance}/", directory.File("run") + "/", StringComparison.Ordinal);
        var source = directory.File($"etc/tunnel-{Instance}.key");
        var copied = directory.File("run/tunnel.key");
        int Run(string keyArgs)
        {
            using var shell = ChildProcess.Start(words[0], [words[1], script], new Dictionary<string, string?> { [variable] = keyArgs });
            return shell.WaitForExit(Loopback.Limit) ?? throw new TimeoutException($"{line} did not end: {shell.RecentOutput()}");
        }

        Assert.Equal(["/bin/sh", "-c"], words[..2]);

        File.WriteAllText(source, "k1");
        Assert.Equal(0, Run(on[variable])); // start (or reload) with the key: copied
        Assert.Equal("k1", File.ReadAllText(copied));

        File.Delete(source);
        Assert.NotEqual(0, Run(on[variable])); // the key deleted: the reload fails before the signal, as without the switch

        Assert.NotEqual(0, Run("")); // turned off, then a reload: fails, since relay would go on reading the copy

        File.Delete(copied); // as at a restart: the runtime directory starts empty
        Assert.Equal(0, Run("")); // a start with the key off: needs no key file, copies nothing
        Assert.False(File.Exists(copied));
    }

    /// <summary>
    /// The ExecStartPre line that copies the key to <paramref name="key"/>: the variable that turns it off (the one whose
    /// default value passes --key-file) and the copy it runs otherwise.
    /// </summary>
    private static (string Variable, List<string> Copy) KeyCopy(SystemdUnit unit, string key)
    {
        var line = Assert.Single(unit.Values("ExecStartPre"), l => SystemdUnit.Copy(l)[^1] == key);
        var variable = Assert.IsType<string>(SystemdUnit.CopyUnless(line));
        Assert.Equal($"--key-file {key}", unit.Environment()[variable]);
        return (variable, SystemdUnit.Copy(line));
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void A_unit_whose_verb_resolves_its_board_again_on_reload_says_so_and_not_that_it_resolves_it_once(string file)
    {
        // relay server and relay tunnel serve resolve the board's name again on SIGHUP (ClassicProxyHost.ReloadAsync,
        // TunnelServeReload): an admin whose board moved reloads the unit instead of restarting it (and dropping everyone).
        var unit = SystemdUnit.Read(Path.Combine(UnitDirectory(), file), Instance);
        var text = File.ReadAllText(Path.Combine(UnitDirectory(), file));
        if (!ResolvesItsBoardOnReload(unit.ExecStart(unit.Environment())))
        {
            return;
        }

        Assert.DoesNotContain("resolved once", text, StringComparison.Ordinal);
        Assert.Contains("resolved at start, and again at each reload", text, StringComparison.Ordinal);
        Assert.Contains($"systemctl reload {Path.GetFileNameWithoutExtension(file).Replace("@", $"@{Instance}", StringComparison.Ordinal)}", text, StringComparison.Ordinal);
    }

    /// <summary>The verbs that resolve their board's name (the instance) again on SIGHUP.</summary>
    private static bool ResolvesItsBoardOnReload(string[] command) => command[1..] is ["server", Instance, ..] or ["tunnel", "serve", Instance, ..];

    private static (string Before, string After) SplitAt(string text, char separator)
    {
        var at = text.IndexOf(separator, StringComparison.Ordinal);
        return (text[..at], text[(at + 1)..]);
    }

    private static async Task<ClassicProxyOptions> ServerOptionsAsync(string[] args)
    {
        ClassicProxyOptions? seen = null;
        var root = new RootCommand();
        root.Subcommands.Add(new ClassicCommands((options, _) =>
        {
            seen = options;
            return Task.FromResult(0);
        }).CreateServer());
        await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        return Assert.IsType<ClassicProxyOptions>(seen);
    }

    private static string UnitDirectory() => Path.Combine(Repository.Root(), "deploy", "systemd");

    private static IEnumerable<string> UnitPaths() => Directory.EnumerateFiles(UnitDirectory(), "*.service").Order(StringComparer.Ordinal);

    /// <summary>
    /// What these tests need of a unit file: its settings (continuation lines joined), the example assignments in its
    /// comments, and ExecStart expanded as systemd would.
    /// </summary>
    private sealed partial class SystemdUnit
    {
        private readonly List<(string Key, string Value)> _settings = [];

        private SystemdUnit(string name, string instance)
        {
            Name = name;
            Instance = instance;
        }

        /// <summary>The unit's name, with the instance for a template (relay-server@spinn-4.service).</summary>
        public string Name { get; }

        public string Instance { get; }

        /// <summary><c>NAME=value</c> lines shown in the comments as what an environment file may hold.</summary>
        public List<string> Examples { get; } = [];

        /// <summary>$CREDENTIALS_DIRECTORY of a system service.</summary>
        public string CredentialsDirectory => $"/run/credentials/{Name}";

        public static SystemdUnit Read(string path, string instance)
        {
            var file = Path.GetFileName(path);
            var unit = new SystemdUnit(file.Replace("@.", $"@{instance}.", StringComparison.Ordinal), instance);
            string? continued = null;
            foreach (var raw in File.ReadLines(path))
            {
                var line = raw.Trim();
                if (continued is null && (line.StartsWith('#') || line.StartsWith(';')))
                {
                    if (ExampleComment().Match(line) is { Success: true } example)
                    {
                        unit.Examples.Add(example.Groups[1].Value);
                    }

                    continue;
                }

                if (line.EndsWith('\\'))
                {
                    continued = (continued ?? "") + line[..^1] + " ";
                    continue;
                }

                line = (continued ?? "") + line;
                continued = null;
                var equals = line.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && !line.StartsWith('['))
                {
                    unit._settings.Add((line[..equals].Trim(), line[(equals + 1)..].Trim()));
                }
            }

            return unit;
        }

        public IEnumerable<string> Values(string key) => _settings.Where(s => s.Key == key).Select(s => Specifiers(s.Value));

        /// <summary>What Environment= sets, and $CREDENTIALS_DIRECTORY when the unit loads credentials.</summary>
        public Dictionary<string, string> Environment()
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in Values("Environment").SelectMany(Words).Select(Assignment))
            {
                environment[name] = value;
            }

            if (Values("LoadCredential").Any())
            {
                environment["CREDENTIALS_DIRECTORY"] = CredentialsDirectory;
            }

            return environment;
        }

        /// <summary>
        /// ExecStart's words: specifiers first, then <c>$NAME</c> as a word of its own becomes the variable's words (none
        /// when unset), <c>${NAME}</c> its exact value. An unset <c>${NAME}</c> would be an empty argument: a failure here.
        /// </summary>
        public string[] ExecStart(IReadOnlyDictionary<string, string> environment)
        {
            var args = new List<string>();
            foreach (var word in Words(Assert.Single(Values("ExecStart"))))
            {
                if (WholeVariable().Match(word) is { Success: true } whole)
                {
                    args.AddRange(Words(environment.GetValueOrDefault(whole.Groups[1].Value, "")));
                    continue;
                }

                args.Add(BracedVariable().Replace(word, v => environment.TryGetValue(v.Groups[1].Value, out var value)
                    ? value
                    : throw new InvalidOperationException($"{Name}: ExecStart uses {v.Value}, which nothing sets")));
            }

            return [.. args];
        }

        /// <summary>
        /// The words of a copy line of ExecStartPre or ExecReload (prefixes dropped): <c>/usr/bin/install …</c> itself, or
        /// the install a shell runs unless a variable is empty (<see cref="CopyUnless"/>).
        /// </summary>
        public static List<string> Copy(string line)
        {
            var words = Words(line.TrimStart('+', '-'));
            if (words is not ["/bin/sh", "-c", var script])
            {
                return words;
            }

            var guarded = GuardedCopy().Match(script);
            Assert.True(guarded.Success, $"a shell line that is not a guarded copy: {line}");
            return Words(guarded.Groups["copy"].Value);
        }

        /// <summary>
        /// For a copy run by a shell, the variable whose empty value skips it, else null. The shell's exit status after a
        /// skip says that no copy is left from before: a reload must not go on with one (relay would keep reading it).
        /// </summary>
        public static string? CopyUnless(string line) =>
            Words(line.TrimStart('+', '-')) is ["/bin/sh", "-c", var script] && GuardedCopy().Match(script) is { Success: true } guarded
                ? guarded.Groups["variable"].Value
                : null;

        /// <summary>NAME=value split at its first '='.</summary>
        public static (string Name, string Value) Assignment(string text)
        {
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"'{text}' is not NAME=value");
            return (text[..equals], text[(equals + 1)..]);
        }

        /// <summary>Splits at whitespace; "…" and '…' keep theirs. Backslash escapes are not used by the units, nor modelled.</summary>
        public static List<string> Words(string text)
        {
            var words = new List<string>();
            var word = new StringBuilder();
            var inWord = false;
            var quote = '\0';
            foreach (var c in text)
            {
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                    else
                    {
                        word.Append(c);
                    }
                }
                else if (c is '"' or '\'')
                {
                    quote = c;
                    inWord = true;
                }
                else if (char.IsWhiteSpace(c))
                {
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                }
                else
                {
                    Assert.NotEqual('\\', c);
                    word.Append(c);
                    inWord = true;
                }
            }

            Assert.Equal('\0', quote);
            if (inWord)
            {
                words.Add(word.ToString());
            }

            return words;
        }

        /// <summary>The specifiers the units use, with the values systemd gives a system service.</summary>
        private string Specifiers(string text) => Specifier().Replace(text, s => s.Value[1] switch
        {
            '%' => "%",
            'i' => Instance,
            'N' => Name[..Name.LastIndexOf('.')],
            'S' => "/var/lib",
            't' => "/run",
            _ => throw new InvalidOperationException($"{Name}: specifier {s.Value} has no example value in this test"),
        });

        [GeneratedRegex(@"^#\s+([A-Z][A-Z0-9_]*=(?:""[^""]*""|\S+))")]
        private static partial Regex ExampleComment();

        [GeneratedRegex(@"^\$([A-Za-z_][A-Za-z0-9_]*)$")]
        private static partial Regex WholeVariable();

        [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
        private static partial Regex BracedVariable();

        [GeneratedRegex("%.")]
        private static partial Regex Specifier();

        /// <summary><c>[ -z "$$VAR" ] || exec INSTALL… DESTINATION; [ ! -e DESTINATION ]</c>, and nothing else.</summary>
        [GeneratedRegex(@"^\[ -z ""\$\$(?<variable>[A-Z][A-Z0-9_]*)"" \] \|\| exec (?<copy>/usr/bin/install -m 644 \S+ (?<to>\S+)); \[ ! -e \k<to> \]$")]
        private static partial Regex GuardedCopy();
    }
}

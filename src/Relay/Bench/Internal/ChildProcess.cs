using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// A relay under test, run as a child process exactly as deployed: started with an exit-report file set
/// (<see cref="ExitReport.EnvironmentVariable"/>), watched for a "listening on PORT" line, sampled for CPU from
/// /proc, and stopped with SIGTERM (then killed after a bounded wait). Keeps the last lines of its output for
/// error messages.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int KeptLines = 12;

    private readonly Process _process;
    private readonly string _reportPath;
    private readonly Queue<string> _lastLines = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<int> _listeningPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopped;

    private ChildProcess(Process process, string reportPath, string commandLine, string label)
    {
        _process = process;
        _reportPath = reportPath;
        CommandLine = commandLine;
        Label = label;
    }

    /// <summary>The command as started, for the report.</summary>
    public string CommandLine { get; }

    /// <summary>A short name for the report's CPU by process ("relay server", "udpfwd").</summary>
    public string Label { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> (no shell), in this process's environment
    /// changed by <paramref name="environment"/> (a null value removes the variable). <paramref name="label"/> names it
    /// in the report (default: the program's file name).
    /// </summary>
    /// <exception cref="InvalidOperationException">The program could not be started (the message says why).</exception>
    public static ChildProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? label = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var reportPath = Path.Combine(Path.GetTempPath(), $"relay-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        info.Environment[ExitReport.EnvironmentVariable] = reportPath;
        if (InlineSocketCompletions.SetHere)
        {
            info.Environment.Remove(InlineSocketCompletions.Variable); // ours, not the user's: each child decides for itself
        }

        foreach (var (name, value) in environment ?? ReadOnlyDictionary<string, string?>.Empty)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var commandLine = string.Join(' ', [fileName, .. arguments.Select(Quote)]);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {commandLine}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"could not start {commandLine}: {ex.Message}", ex);
        }

        var child = new ChildProcess(process, reportPath, commandLine, label ?? Path.GetFileName(fileName));
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a child that ends by itself (e.g. `relay tunnel keygen`); its exit code, or null if it is still running.</summary>
    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout) ? _process.ExitCode : null;

    /// <summary>The exit code once the child has exited (after <see cref="Stop"/>, for example), else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>CPU of the child and its descendants so far.</summary>
    public CpuTime Cpu() => ProcessCpu.OfTree(_process.Id);

    /// <summary>
    /// Waits for a "listening on PORT" line. Returns the port, or null when the child exited, printed nothing like
    /// it within <paramref name="timeout"/>, or <paramref name="cancel"/> fired.
    /// </summary>
    public int? WaitForListeningPort(TimeSpan timeout, CancellationToken cancel)
    {
        try
        {
            var task = _listeningPort.Task;
            var exited = _process.WaitForExitAsync(cancel);
            var done = Task.WhenAny(task, exited, Task.Delay(timeout, cancel)).GetAwaiter().GetResult();
            return done == task ? task.Result : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The last lines the child printed (stdout and stderr), for an error message.</summary>
    public string RecentOutput()
    {
        lock (_gate)
        {
            return _lastLines.Count == 0 ? "(no output)" : string.Join(" | ", _lastLines);
        }
    }

    /// <summary>
    /// Sends SIGTERM, waits up to <paramref name="grace"/> for the exit, kills the process tree otherwise, and
    /// reads the exit report if the child wrote one (relay children do; others return null).
    /// </summary>
    public ExitReport? Stop(TimeSpan grace)
    {
        if (!_stopped)
        {
            _stopped = true;
            // The whole tree: a peer started through a shell may have several processes.
            var tree = _process.HasExited ? [] : ProcessCpu.TreeIds(_process.Id);
            foreach (var pid in tree.Count == 0 && !_process.HasExited ? [_process.Id] : tree)
            {
                BenchNative.Terminate(pid);
            }

            if (!_process.WaitForExit(grace))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(grace);
            }
        }

        try
        {
            return File.Exists(_reportPath) && ExitReport.TryParse(File.ReadAllBytes(_reportPath), out var report) ? report : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(2));
        _process.Dispose();
        try
        {
            File.Delete(_reportPath);
        }
        catch (IOException)
        {
            // A leftover temp file is harmless.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        var match = ListeningLine().Match(line);
        if (match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            _listeningPort.TrySetResult(port);
        }

        lock (_gate)
        {
            _lastLines.Enqueue(Log.Escape(line, 300));
            while (_lastLines.Count > KeptLines)
            {
                _lastLines.Dequeue();
            }
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@{}".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    [GeneratedRegex(@"listening on (\d{1,5})\b")]
    private static partial Regex ListeningLine();
}

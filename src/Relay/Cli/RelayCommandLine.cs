using System.CommandLine;
using System.Reflection;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// Builds the `relay` command tree. Each verb has a factory that declares typed options and hands plain
/// values plus a cancellation token to a handler class; nothing else lives here.
/// </summary>
public static class RelayCommandLine
{
    public static string Version =>
        typeof(RelayCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "relay: a fast, safe relay for SpiNNaker boards (SCP, boot, EIEIO). " +
            "Run `relay demo` to see it work against the built-in board emulator.");
        root.Subcommands.Add(new DemoCommand().Create());
        root.Subcommands.Add(EmulateCommand.Create());
        root.Subcommands.Add(TunnelCommand.Create());
        root.Subcommands.Add(SpallocCommand.Create());
        var classic = new ClassicCommands();
        root.Subcommands.Add(classic.CreateServer());
        root.Subcommands.Add(classic.CreateClient());
        classic.AddRootSpellings(root);
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> against <see cref="Build"/>'s tree. Response files are off: System.CommandLine would
    /// otherwise read any value starting with '@' as a file of more arguments (<c>--user @bob</c> could not be given, and
    /// <c>@/dev/zero</c> never returned). No verb documents them, and systemd units pass arguments directly.
    /// </summary>
    public static ParseResult Parse(IReadOnlyList<string> args) => Build().Parse(args, ParserConfiguration);

    /// <summary>How <see cref="Parse"/> parses (a new instance each time: it is mutable).</summary>
    internal static ParserConfiguration ParserConfiguration => new() { ResponseFileTokenReplacer = null };

    /// <summary>Longest error line printed, in characters: room for a value and the message around it.</summary>
    internal const int MaxErrorLineLength = 500;

    /// <summary>
    /// An error as printed: one line whatever the values it quotes hold (control characters become \xNN, so a newline
    /// in a flag cannot start a line of its own, under systemd a forged journal entry), at most
    /// <see cref="MaxErrorLineLength"/> characters (a megabyte value is not echoed whole).
    /// </summary>
    internal static string ErrorLine(string message) => Log.Escape(message, MaxErrorLineLength);

    public static async Task<int> InvokeAsync(string[] args)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            ctx =>
            {
                ctx.Cancel = true;
                cts.Cancel();
            });
        try
        {
            var parse = Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One clear line per problem, not a page of help.
                foreach (var error in parse.Errors)
                {
                    Console.Error.WriteLine($"{Log.ErrorPrefix}relay: {ErrorLine(error.Message)}");
                }

                Console.Error.WriteLine("Run 'relay --help' (or 'relay VERB --help') for usage.");
                return (int)ExitCode.Usage;
            }

            // Our own handlers below turn RelayToolException into one line and its exit code; System.CommandLine's
            // default handler would print a stack trace instead.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token).ConfigureAwait(false);
        }
        catch (RelayToolException ex)
        {
            Console.Error.WriteLine($"{Log.ErrorPrefix}relay: {ErrorLine(ex.Message)}");
            return (int)ex.Code;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return (int)ExitCode.Cancelled;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            ExitReport.WriteIfRequested();
            Log.Output.Flush();
        }
    }
}

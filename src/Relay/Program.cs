using FastSpinnRelay.Relay.Cli;

namespace FastSpinnRelay.Relay;

/// <summary>The `relay` executable: wires the command line to one handler per verb.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => RelayCommandLine.InvokeAsync(args);
}

using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>The tunnel library's log lines into the relay's log, under one component name.</summary>
internal sealed class RelayTunnelLog(string component) : ITunnelLog
{
    public bool IsEnabled(TunnelLogLevel level) => Log.IsEnabled(Map(level));

    public void Write(TunnelLogLevel level, string message) => Log.Write(Map(level), component, message);

    private static LogLevel Map(TunnelLogLevel level) => level switch
    {
        TunnelLogLevel.Debug => LogLevel.Debug,
        TunnelLogLevel.Info => LogLevel.Info,
        TunnelLogLevel.Warning => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}

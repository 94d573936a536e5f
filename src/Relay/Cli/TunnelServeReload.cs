using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay tunnel serve</c> reads its credentials again on SIGHUP (<c>systemctl reload relay-tunnel@BOARD</c>): the key
/// file, every allow file and the TLS certificate, as a start reads them (<see cref="TunnelServeCredentialFiles"/>).
/// Files a start would refuse change nothing (one error line per problem, as a start words it); good ones are put in force
/// for new handshakes at once (<see cref="TunnelGateway.ReloadAsync"/>), which ends the sessions of clients no longer let
/// in, and one line says what changed.
/// </summary>
internal sealed class TunnelServeReload(TunnelGateway gateway, TunnelServeCredentialFiles files, TunnelServeCredentials started)
{
    private const string Component = "tunnel-serve";

    /// <summary>What is in force: as started, then as each applied reload read it. Reloads run one at a time.</summary>
    private TunnelServeCredentials _current = started;

    /// <summary>Reloads applied and refused.</summary>
    public ReloadCounters Counters { get; } = new();

    /// <summary>The credentials in force.</summary>
    public TunnelServeCredentials Current => _current;

    /// <summary>Reads the files once and applies them, or logs why not. True when they were applied (perhaps changing nothing).</summary>
    public async Task<bool> ReloadAsync()
    {
        if (!files.TryRead(out TunnelServeCredentials? read, out IReadOnlyList<string> problems))
        {
            Counters.CountRefused();
            foreach (string problem in problems)
            {
                Log.Error(Component, $"reload refused, still serving the credentials read before: {problem}");
            }

            return false;
        }

        read = KeepSameCertificate(read);
        var changes = TunnelCredentialChanges.Between(_current, read);
        TunnelRevokedSessions ended = await gateway.ReloadAsync(read.ForServer(), read.Tls()).ConfigureAwait(false);
        _current = read;
        Counters.CountApplied();
        Log.Info(Component, $"reloaded: {changes.Describe(ended)}");
        return true;
    }

    /// <summary>The reloads in the exit report (<see cref="ExitReport.Record"/>), beside the tunnel's totals.</summary>
    public void RecordExitCounters()
    {
        ExitReport.Record("tunnelReloadsApplied", Counters.Applied);
        ExitReport.Record("tunnelReloadsRefused", Counters.Refused);
    }

    /// <summary>The certificate in force when the files hold the same one (the copy just read is let go).</summary>
    private TunnelServeCredentials KeepSameCertificate(TunnelServeCredentials read)
    {
        if (read.Certificate is not { } loaded || _current.Certificate is not { } held || ReferenceEquals(loaded, held)
            || TunnelCertificates.Fingerprint(loaded) != TunnelCertificates.Fingerprint(held))
        {
            return read;
        }

        loaded.Dispose();
        return read with { Certificate = held };
    }
}

using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay tunnel serve</c> reads its credentials again on SIGHUP (<c>systemctl reload relay-tunnel@BOARD</c>): the key
/// file, every allow file and the TLS certificate, as a start reads them (<see cref="TunnelServeCredentialFiles"/>).
/// Files a start would refuse change nothing (one error line per problem, as a start words it); good ones are put in force
/// for new handshakes at once (<see cref="TunnelGateway.ReloadAsync"/>), which ends the sessions of clients no longer let
/// in, and one line says what changed. It also resolves the board's name again, as a start does (<see cref="HostName"/>):
/// when the board is at another address (DHCP, a spare swapped in under the same name), new channels go there, open
/// ones are redirected where they can be, and live output's IP tags are set on the new board and cleared on the old one
/// (<see cref="TunnelGateway.MoveBoardAsync(System.Net.IPAddress)"/>); a name that
/// no longer resolves keeps the old address, with an error line. A board given as an address has nothing to resolve.
/// </summary>
/// <remarks>
/// The two parts are applied each on its own: a revoked client must not stay in because the board's name did not
/// resolve, nor a moved board wait for a key file to be fixed. A reload counts as applied when both were, else as refused.
/// </remarks>
/// <param name="gateway">The running gateway the reloads put new credentials and the board's address into.</param>
/// <param name="files">The credential files, read again at each reload.</param>
/// <param name="started">The credentials the start read (in force until a reload applies others).</param>
/// <param name="board">The board's name, resolved again at each reload (null: not resolved, as for an address).</param>
/// <param name="counters">Where reloads are counted: the SIGHUP handler's, when it was in place before this (null: new ones).</param>
internal sealed class TunnelServeReload(
    TunnelGateway gateway, TunnelServeCredentialFiles files, TunnelServeCredentials started, HostName? board = null, ReloadCounters? counters = null)
{
    private const string Component = "tunnel-serve";

    /// <summary>What is in force: as started, then as each applied reload read it. Reloads run one at a time.</summary>
    private TunnelServeCredentials _current = started;

    /// <summary>Reloads applied and refused.</summary>
    public ReloadCounters Counters { get; } = counters ?? new();

    /// <summary>The credentials in force.</summary>
    public TunnelServeCredentials Current => _current;

    /// <summary>
    /// Resolves the board again and reads the files once, applies what is good and logs what changed, or why not. True
    /// when both were applied (perhaps changing nothing).
    /// </summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken = default)
    {
        var changed = new List<string>(2);
        // Credentials first: a revocation must not wait for a slow resolver.
        bool credentialsApplied = await ReloadCredentialsAsync(changed).ConfigureAwait(false);
        bool boardApplied = await ReloadBoardAsync(changed, cancellationToken).ConfigureAwait(false);
        if (boardApplied && credentialsApplied)
        {
            Counters.CountApplied();
        }
        else
        {
            Counters.CountRefused();
        }

        if (changed.Count > 0 || (boardApplied && credentialsApplied)) // else only the errors: "nothing changed" would mislead
        {
            Log.Info(Component, $"reloaded: {(changed.Count == 0 ? "nothing changed" : string.Join("; ", changed))}");
        }

        return boardApplied && credentialsApplied;
    }

    /// <summary>The board's name resolved again; where it moved, the gateway follows. Adds what changed to <paramref name="changed"/>.</summary>
    private async Task<bool> ReloadBoardAsync(List<string> changed, CancellationToken cancellationToken)
    {
        if (board is null || board.Literal is not null)
        {
            return true; // an address: nothing to resolve
        }

        var was = gateway.BoardScp.Address;
        if (await board.ResolveAgainAsync(Component, was, cancellationToken).ConfigureAwait(false) is not { } now)
        {
            return false;
        }

        if (now.Equals(was))
        {
            changed.Add(board.DescribeMove(was, now));
            return true;
        }

        var move = await gateway.MoveBoardAsync(now).ConfigureAwait(false);
        changed.Add($"{board.DescribeMove(was, now)}: {move.Describe()}");
        return true;
    }

    /// <summary>The credential files read again and, when a start would take them, put in force. Adds what changed to <paramref name="changed"/>.</summary>
    private async Task<bool> ReloadCredentialsAsync(List<string> changed)
    {
        if (!files.TryRead(out TunnelServeCredentials? read, out IReadOnlyList<string> problems, reload: true))
        {
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
        if (!changes.IsEmpty)
        {
            changed.Add(changes.Describe(ended));
        }

        if (read.Key is null && read.Clients.Entries.Count == 0)
        {
            Log.Warn(Component, "no client can get in now: there is no key, and the allow file lists no certificate; every session has " +
                "ended, and every connection is refused until a reload finds a line (or the key) again");
        }

        return true;
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

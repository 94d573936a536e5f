using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// The client's end of one live-output channel: every datagram (an EIEIO packet from the board's IP tag) is sent to
/// each local visualiser address, from one shared unconnected socket. Runs on the session's receive loop, which is
/// the socket's only user: datagrams are queued (copied into the socket's send slots) and leave in one sendmmsg per
/// batch from the tunnel (<see cref="OnBatchEnd"/>, or sooner when the slots fill). A batch's datagrams come as one
/// run (<see cref="OnDatagrams"/>), so the tunnel makes one call per run, not per datagram. No allocation.
/// </summary>
internal sealed class LiveOutputFanOut(UdpSocket sender, UdpAddress[] visualisers, int tag, string component) : ITunnelRunHandler
{
    private long _forwarded;
    private long _failed;

    // Written only by the session's receive loop (plain stores: no locked instruction per datagram); read by anyone.

    /// <summary>Datagrams handed to the socket for visualisers (one per visualiser; the socket counts what the kernel refused).</summary>
    public long Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>Datagrams the socket could not take (its slots full and the kernel's buffer too).</summary>
    public long Failed => Volatile.Read(ref _failed);

    public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds) =>
        Count(Queue(datagram), 1);

    /// <summary>
    /// A batch's run of datagrams for this tag, queued for each visualiser in turn (a copy of the run reads it again
    /// from its start), counted once. Each visualiser's datagrams so pack into GSO groups for its own address: queued
    /// datagram by datagram with the addresses alternating, every datagram would leave as a message of its own.
    /// </summary>
    public void OnDatagrams(TunnelChannel channel, ref TunnelDatagramRun run)
    {
        var last = visualisers.Length - 1;
        if (last < 0)
        {
            return;
        }

        long ok = 0;
        for (var i = 0; i < last; i++)
        {
            var again = new RunSource(run);
            ok += sender.QueueSendRunTo(ref again, visualisers[i]);
        }

        var source = new RunSource(run);
        ok += sender.QueueSendRunTo(ref source, visualisers[last]);
        run = source.Run;
        Count(ok, run.Count);
    }

    /// <summary>A tunnel run as the socket's datagram source (a copy of the run: read from where the run stood).</summary>
    private ref struct RunSource(TunnelDatagramRun run) : IUdpDatagramSource
    {
        public TunnelDatagramRun Run = run;

        public bool TryNext(out ReadOnlySpan<byte> datagram) => Run.TryNext(out datagram);
    }

    private long Queue(ReadOnlySpan<byte> datagram)
    {
        long ok = 0;
        foreach (ref readonly var visualiser in visualisers.AsSpan())
        {
            if (sender.QueueSendTo(datagram, visualiser) == UdpStatus.Ok)
            {
                ok++;
            }
        }

        return ok;
    }

    /// <summary>Adds to the counters: <paramref name="ok"/> sends queued for <paramref name="datagrams"/> datagrams.</summary>
    private void Count(long ok, int datagrams)
    {
        long attempted = (long)datagrams * visualisers.Length;
        Volatile.Write(ref _forwarded, _forwarded + ok);
        if (ok < attempted)
        {
            Volatile.Write(ref _failed, _failed + attempted - ok);
        }
    }

    /// <summary>Sends what this batch queued (one sendmmsg for up to the socket's slot count).</summary>
    public void OnBatchEnd(TunnelChannel channel) => sender.FlushSends();

    public void OnClosed(TunnelChannel channel, TunnelErrorCode code)
    {
        if (code == TunnelErrorCode.Shutdown)
        {
            Log.Info(component, $"live output of IP tag {tag} ended: the tunnel is shutting down");
            return;
        }

        if (code == TunnelErrorCode.SessionLost)
        {
            Reopen(channel);
            return;
        }

        if (code == TunnelErrorCode.Replaced)
        {
            Log.Warn(component, $"live output of IP tag {tag} stopped: another client of the server (or this one, restarted) asked for the same tag, " +
                "and the board sends each tag to one place; restart relay tunnel connect to take the tag back");
            return;
        }

        if (code == TunnelErrorCode.ChannelRejected)
        {
            Log.Warn(component, $"live output of IP tag {tag} stopped: the server could not set the tag on its board (the board did not answer or refused, " +
                "when the channel opened or when the board moved to another address; the server's log says which); restart relay tunnel connect to ask for the tag again once the board answers");
            return;
        }

        Log.Warn(component, $"live output of IP tag {tag} stopped: the server closed {channel} ({code}); restart relay tunnel connect to set the tag again");
    }

    /// <summary>
    /// The server no longer knew the session (it restarted, or the session expired while the link was down), so the tag
    /// it set on the board is gone with it: ask for the tag again on the new session (the server sets it anew).
    /// </summary>
    private void Reopen(TunnelChannel lost)
    {
        try
        {
            TunnelChannel fresh = lost.Session.OpenChannel(lost.Kind, lost.Target, this);
            Log.Warn(component, $"live output of IP tag {tag}: the server had forgotten the session (restarted?); asked for the tag again as {fresh}");
        }
        catch (InvalidOperationException e)
        {
            Log.Warn(component, $"live output of IP tag {tag} lost with the session and not opened again: {e.Message}");
        }
    }
}

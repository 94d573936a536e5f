using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc.Internal;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

internal sealed partial class ProxySession
{
    /// <summary>Longest close reason RFC 6455 allows, in UTF-8 bytes.</summary>
    private const int MaxCloseReasonBytes = 123;

    /// <summary>
    /// The only writer of the websocket: takes the queued frames a batch at a time and sends each as one binary
    /// message; when the queue is completed and drained, sends the close frame if one was asked for. The time the
    /// pending send started is published for the stall check. Never throws.
    /// </summary>
    /// <remarks>
    /// Over a <see cref="GatheringStream"/> every frame of a batch but the last is gathered, and the last sends them
    /// all in one write (or fewer, when the gathering buffer fills first): frames already waiting cost one Kestrel
    /// write and flush between them, while a batch of one, a datagram that found nothing queued, is written at once.
    /// The sends take no cancellation token (with one, ManagedWebSocket registers on it for every frame): ending the
    /// session aborts the websocket, which ends a pending send.
    /// </remarks>
    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                var completed = Queue.IsCompleted;
                while (Queue.TryTake() is { } batch)
                {
                    try
                    {
                        var last = batch.Count - 1;
                        for (var i = 0; i <= last; i++)
                        {
                            if (_gathering is { } gathering)
                            {
                                gathering.Gathering = i != last;
                            }

                            Volatile.Write(ref _sendStarted, Stopwatch.GetTimestamp());
                            await _ws.SendAsync(batch.Frame(i), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        if (_gathering is { } gathering)
                        {
                            gathering.Gathering = false;
                        }

                        Volatile.Write(ref _sendStarted, 0);
                        Queue.Return(batch);
                    }
                }

                if (completed)
                {
                    break;
                }

                await _sendSignal.WaitAsync().ConfigureAwait(false);
            }

            WebSocketCloseStatus? status;
            string? description;
            lock (_gate)
            {
                (status, description) = (_closeStatus, _closeDescription);
            }

            if (status is { } closeStatus && _ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                Volatile.Write(ref _sendStarted, Stopwatch.GetTimestamp());
                await _ws.CloseOutputAsync(closeStatus, CloseReason(description), _abort.Token).ConfigureAwait(false);
                Volatile.Write(ref _sendStarted, 0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            Volatile.Write(ref _sendStarted, 0);
            if (Reason == ProxyShutdownReason.None)
            {
                Log.Debug(ProxyHub.Component, $"{_name}: send ended: {ex.GetType().Name}: {ex.Message}");
            }

            Abort(ProxyShutdownReason.ConnectionLost);
        }
    }

    /// <summary>A close reason that fits the 123-byte limit, printable ASCII only (job-deletion reasons come from clients).</summary>
    private static string? CloseReason(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var builder = new StringBuilder(Math.Min(text.Length, MaxCloseReasonBytes));
        foreach (var c in text)
        {
            if (builder.Length == MaxCloseReasonBytes)
            {
                break;
            }

            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return builder.ToString();
    }
}

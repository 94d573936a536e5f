using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Tunnel.Legacy.Internal;

namespace FastSpinnRelay.Tunnel.Legacy;

public sealed partial class LegacyStreamConnection
{
    private long _framesIn;
    private long _bytesIn;

    /// <summary>Frames received and handed to the handler.</summary>
    public long FramesIn => Volatile.Read(ref _framesIn);

    /// <summary>Bytes read from the stream (length prefixes included).</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    private async Task<StreamClose> ReceiveLoopAsync()
    {
        var buffer = new FrameReceiveBuffer(_reader, _options.ReceiveBufferBytes);
        var gap = (long)(_options.MinFrameGap.TotalSeconds * Stopwatch.Frequency);
        var pacing = new FramePacing(gap);
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer.FreeSpace, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.Pending == 0
                        ? Closed(StreamCloseReason.PeerClosed, 0, "the peer closed the connection")
                        : Closed(StreamCloseReason.PeerClosedMidFrame, buffer.Pending, string.Create(CultureInfo.InvariantCulture,
                            $"the peer closed the connection inside a frame ({buffer.Pending} byte(s) of it lost)"));
                }

                buffer.Advance(read);
                Volatile.Write(ref _bytesIn, _bytesIn + read);
                while (true)
                {
                    var status = buffer.TryTakeFrame(out var frame, out var announced);
                    if (status == FrameStatus.TooLarge)
                    {
                        _handler.OnFramesEnd(); // the whole frames before it still go
                        return Closed(StreamCloseReason.FrameTooLarge, announced, string.Create(CultureInfo.InvariantCulture,
                            $"the peer announced a {announced}-byte frame, over the {_reader.MaxFrameLength}-byte maximum"));
                    }

                    if (status == FrameStatus.NeedMoreData)
                    {
                        // Every whole frame of this read leaves in one go (one batched send, not one per frame).
                        _handler.OnFramesEnd();
                        pacing.Flushed();
                        buffer.Compact(announced);
                        break;
                    }

                    if (pacing.IsOn)
                    {
                        _handler.OnFramesEnd(); // the previous frame leaves at its own time, not with this one
                        pacing.Flushed();
                        await PaceAsync(pacing.Due).ConfigureAwait(false);
                    }

                    if (IsClosing)
                    {
                        _handler.OnFramesEnd();
                        return Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side");
                    }

                    _handler.OnFrame(buffer.Payload(frame));
                    pacing.Handed();
                    Volatile.Write(ref _framesIn, _framesIn + 1);
                }
            }
        }
        catch (SocketException e)
        {
            return FromSocketError(e, writing: false);
        }
        catch (ObjectDisposedException)
        {
            return Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side");
        }
        catch (Exception e)
        {
            Fault = e;
            return Closed(StreamCloseReason.Fault, 0, $"internal error handling a frame: {e.GetType().Name}");
        }
    }

    /// <summary>Waits until the <see cref="Stopwatch"/> timestamp <paramref name="due"/>.</summary>
    private static async ValueTask PaceAsync(long due)
    {
        long now;
        while ((now = Stopwatch.GetTimestamp()) < due)
        {
            // Task.Delay counts whole milliseconds and may wake a little early: round up and check again.
            var milliseconds = (int)Math.Ceiling((due - now) * 1000.0 / Stopwatch.Frequency);
            await Task.Delay(Math.Max(1, milliseconds)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The clock of <see cref="LegacyStreamOptions.MinFrameGap"/>: a frame may be handed on one gap after the flush that
    /// sent the frame before it returned, so the gap holds between the handler's sends themselves (a slow send or a
    /// preempted thread between handing a frame on and sending it cannot shorten the next gap). A frame that arrives
    /// later than that goes at once: frames further apart keep their spacing.
    /// </summary>
    private struct FramePacing(long gap)
    {
        private long _lastSent;
        private bool _waitingToLeave;

        /// <summary>True when frames are paced (a gap over zero).</summary>
        public readonly bool IsOn => gap > 0;

        /// <summary>When the next frame may be handed on (<see cref="Stopwatch"/> ticks; 0 before the first).</summary>
        public readonly long Due => _lastSent == 0 ? 0 : _lastSent + gap;

        /// <summary>A frame was handed on; it leaves with the next flush.</summary>
        public void Handed() => _waitingToLeave = IsOn;

        /// <summary>The handler's flush returned: if it sent a paced frame, the next gap counts from now.</summary>
        public void Flushed()
        {
            if (_waitingToLeave)
            {
                _lastSent = Stopwatch.GetTimestamp();
                _waitingToLeave = false;
            }
        }
    }
}

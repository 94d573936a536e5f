using System.Buffers;
using System.IO.Pipelines;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>The receive and send loops.</summary>
internal sealed partial class TunnelConnectionRunner
{
    private async Task<TunnelCloseReason> ReceiveLoopAsync(byte[] frameBuffer, byte[] decompressBuffer)
    {
        PipeReader input = _connection.Transport.Input;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled || Closing)
                {
                    input.AdvanceTo(result.Buffer.Start);
                    return Closing ? Reason : Failed(TunnelCloseReason.Aborted, null);
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                long unread = buffer.Length;
                FrameOutcome outcome = ReadFrames(ref buffer, frameBuffer, decompressBuffer);
                _session.EndOfRead();
                _session.CountBytesReceived(unread - buffer.Length);
                input.AdvanceTo(buffer.Start, buffer.End);
                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                if (_session.AckDue)
                {
                    if (_session.CountTowardsAck(unread - buffer.Length))
                    {
                        // Much read since the last ACK: an idle send loop writes it now, on this thread (no pool wake-up).
                        _session.Signal.SetAndRunWaiter();
                    }
                    else
                    {
                        HoldAck(); // the answer written meanwhile (an SCP reply) carries it, in the same TCP segment
                    }
                }

                if (!outcome.IsContinue)
                {
                    Fail(outcome.Reason, outcome.Code, outcome.Detail);
                    return outcome.Reason;
                }

                if (result.IsCompleted)
                {
                    return buffer.IsEmpty ? TunnelCloseReason.PeerClosed : Failed(TunnelCloseReason.PeerClosed, "the stream ended inside a frame");
                }
            }
        }
        catch (Exception ex) when (IsTransportFault(ex))
        {
            return Failed(TunnelCloseReason.TransportError, ex.Message);
        }
    }

    /// <summary>Handles every whole frame in <paramref name="buffer"/>, leaving it at the first incomplete one.</summary>
    private FrameOutcome ReadFrames(ref ReadOnlySequence<byte> buffer, byte[] frameBuffer, byte[] decompressBuffer)
    {
        while (true)
        {
            FrameStatus status = _frames.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out TunnelFrameHeader header);
            if (status == FrameStatus.NeedMoreData)
            {
                return FrameOutcome.Continue;
            }

            if (status == FrameStatus.TooLarge)
            {
                return new FrameOutcome(
                    TunnelCloseReason.FrameTooLarge, TunnelErrorCode.FrameTooLarge, $"frame body of {header.BodyLength} bytes, above {_frames.MaxBodyLength}");
            }

            ReadOnlySpan<byte> span = frame.IsSingleSegment ? frame.FirstSpan : CopyOut(frame, frameBuffer);
            FrameOutcome outcome = _session.HandleFrame(span, header.Type, decompressBuffer);
            if (!outcome.IsContinue)
            {
                return outcome;
            }
        }
    }

    private static ReadOnlySpan<byte> CopyOut(in ReadOnlySequence<byte> frame, byte[] buffer)
    {
        frame.CopyTo(buffer);
        return buffer.AsSpan(0, (int)frame.Length);
    }

    private async Task<TunnelCloseReason> SendLoopAsync(byte[] batchBuffer)
    {
        PipeWriter output = _connection.Transport.Output;
        try
        {
            while (true)
            {
                if (Closing)
                {
                    await WriteErrorAsync(output).ConfigureAwait(false);
                    return Reason;
                }

                if (_session.WritePending(output, batchBuffer) == 0)
                {
                    await _session.Signal.WaitAsync().ConfigureAwait(false);
                    continue;
                }

                FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                Volatile.Write(ref _lastSent, _time.GetTimestamp());
                if (flushed.IsCompleted)
                {
                    return PeerGone(TunnelCloseReason.PeerClosed, null);
                }

                if (flushed.IsCanceled)
                {
                    // Aborted: the transport is being cut, so do not try to write an ERROR into it.
                    return Closing ? Reason : Failed(TunnelCloseReason.Aborted, null);
                }
            }
        }
        catch (Exception ex) when (IsTransportFault(ex))
        {
            return PeerGone(TunnelCloseReason.TransportError, ex.Message);
        }
    }

    /// <summary>
    /// The send loop cannot write to the peer any more: returns <paramref name="reason"/> without recording it (that
    /// would stop the receive loop before it has read what the peer sent last), or the reason that stands when closing.
    /// </summary>
    private TunnelCloseReason PeerGone(TunnelCloseReason reason, string? detail)
    {
        if (Closing)
        {
            return Reason;
        }

        _sendFailureDetail = detail;
        return reason;
    }

    private async ValueTask WriteErrorAsync(PipeWriter output)
    {
        if (_errorToSend == TunnelErrorCode.None)
        {
            return;
        }

        Span<byte> ascii = stackalloc byte[TunnelErrorFrame.MaxTextLength];
        int length = 0;
        foreach (char c in (_detail ?? "").AsSpan(0, Math.Min((_detail ?? "").Length, ascii.Length)))
        {
            ascii[length++] = c is >= ' ' and <= '~' ? (byte)c : (byte)'?';
        }

        TunnelFrameWriter.TryWriteError(output.GetSpan(TunnelErrorFrame.MinLength + length), _errorToSend, ascii[..length], out int written);
        output.Advance(written);
        await output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Records <paramref name="reason"/> if none is yet, and returns the reason that stands.</summary>
    private TunnelCloseReason Failed(TunnelCloseReason reason, string? detail)
    {
        Fail(reason, TunnelErrorCode.None, detail);
        return Reason;
    }
}

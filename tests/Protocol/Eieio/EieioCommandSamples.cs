using FastSpinnRelay.Protocol.Eieio;

namespace FastSpinnRelay.Protocol.Tests.Eieio;

/// <summary>Dispatches to the typed command reader and writer for an ID, so tests can treat all twelve alike.</summary>
internal static class EieioCommandSamples
{
    /// <summary>What the typed reader for <paramref name="id"/> says about <paramref name="packet"/>.</summary>
    public static EieioCommandError ReadTyped(EieioCommandId id, ReadOnlySpan<byte> packet) => id switch
    {
        EieioCommandId.Database => EieioDatabaseCommand.TryRead(packet, out _),
        EieioCommandId.SpinnakerRequestBuffers => EieioRequestBuffersCommand.TryRead(packet, out _),
        EieioCommandId.HostSendSequencedData => EieioSequencedDataCommand.TryRead(packet, out _),
        EieioCommandId.SpinnakerRequestReadData => EieioReadDataRequestCommand.TryRead(packet, out _),
        EieioCommandId.HostDataRead => EieioHostDataReadCommand.TryRead(packet, out _),
        EieioCommandId.HostDataReadAck => EieioDataReadAckCommand.TryRead(packet, out _),
        _ => EieioBareCommand.TryRead(packet, out _),
    };

    /// <summary>
    /// Reads <paramref name="packet"/> with the typed reader for <paramref name="id"/> (it must be valid), writes the
    /// values back with the typed writer and returns the bytes written, or -1 when the writer returned false.
    /// </summary>
    public static int Rewrite(EieioCommandId id, ReadOnlySpan<byte> packet, Span<byte> destination)
    {
        Assert.Equal(EieioCommandError.None, ReadTyped(id, packet));
        bool ok;
        int written;
        switch (id)
        {
            case EieioCommandId.Database:
                EieioDatabaseCommand.TryRead(packet, out var database);
                ok = EieioDatabaseCommand.TryWrite(destination, database.PathUtf8, out written);
                break;
            case EieioCommandId.SpinnakerRequestBuffers:
                EieioRequestBuffersCommand.TryRead(packet, out var buffers);
                ok = buffers.TryWrite(destination, out written);
                break;
            case EieioCommandId.HostSendSequencedData:
                EieioSequencedDataCommand.TryRead(packet, out var sequenced);
                ok = EieioSequencedDataCommand.TryWrite(destination, sequenced.Region, sequenced.Sequence, sequenced.Data.Packet, out written);
                break;
            case EieioCommandId.SpinnakerRequestReadData:
                EieioReadDataRequestCommand.TryRead(packet, out var request);
                Span<EieioPendingRead> requests = stackalloc EieioPendingRead[request.Count];
                for (int i = 0; i < requests.Length; i++)
                {
                    requests[i] = request.GetRequest(i);
                }

                ok = EieioReadDataRequestCommand.TryWrite(destination, request.X, request.Y, request.Processor, request.Sequence, requests, out written);
                break;
            case EieioCommandId.HostDataRead:
                EieioHostDataReadCommand.TryRead(packet, out var read);
                Span<EieioCompletedRead> reads = stackalloc EieioCompletedRead[read.Count];
                for (int i = 0; i < reads.Length; i++)
                {
                    reads[i] = read.GetRead(i);
                }

                ok = EieioHostDataReadCommand.TryWrite(destination, read.Sequence, reads, out written);
                break;
            case EieioCommandId.HostDataReadAck:
                EieioDataReadAckCommand.TryRead(packet, out var ack);
                ok = ack.TryWrite(destination, out written);
                break;
            default:
                EieioBareCommand.TryRead(packet, out var bare);
                ok = bare.TryWrite(destination, out written);
                break;
        }

        if (!ok)
        {
            Assert.Equal(0, written);
            return -1;
        }

        return written;
    }
}

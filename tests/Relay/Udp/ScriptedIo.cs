using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// Wraps a socket's real I/O and injects send outcomes: each script entry lets at most <c>Max</c> datagrams
/// of the next batch really go, then reports <c>Error</c> (as the kernel would for the following datagram).
/// </summary>
internal sealed class ScriptedIo(DatagramIo inner) : DatagramIo
{
    public System.Collections.Concurrent.ConcurrentQueue<(int Max, IoError Error, int Code)> SendBatchScript { get; } = new();

    public override bool IsNative => inner.IsNative;

    public override bool Segmentation => inner.Segmentation;

    public override IoResult Receive(MessageBuffer buffer) => inner.Receive(buffer);

    public override IoResult SendBatch(MessageBuffer buffer, int start, int count)
    {
        if (!SendBatchScript.TryDequeue(out var step))
        {
            return inner.SendBatch(buffer, start, count);
        }

        var allowed = Math.Min(step.Max, count);
        var sent = allowed == 0 ? IoResult.Done(0) : inner.SendBatch(buffer, start, allowed);
        return sent.Count < allowed ? sent : new IoResult(sent.Count, step.Error, step.Code);
    }

    /// <summary>Like <see cref="SendBatchScript"/>, for prepared messages (in-place sends): <c>Max</c> counts messages.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(int Max, IoError Error, int Code)> SendMessagesScript { get; } = new();

    public override IoResult SendOne(ReadOnlySpan<byte> payload, in UdpAddress destination) => inner.SendOne(payload, destination);

    public override IoResult SendMessages(UdpInPlaceBatch batch, int count)
    {
        if (!SendMessagesScript.TryDequeue(out var step))
        {
            return inner.SendMessages(batch, count);
        }

        var allowed = Math.Min(step.Max, count);
        var sent = allowed == 0 ? IoResult.Done(0) : inner.SendMessages(batch, allowed);
        return sent.Count < allowed ? sent : new IoResult(sent.Count, step.Error, step.Code);
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>
/// An in-memory transport with a middlebox: every connection runs through two pumps that forward whole frames, so a
/// test can rewrite one frame from the client (a corrupted frame) or freeze the current link (a dead NAT: nothing
/// passes, nothing closes).
/// </summary>
internal sealed class FaultyLink : ITunnelConnector, ITunnelListener
{
    private readonly Channel<ITunnelConnection> _pending = Channel.CreateUnbounded<ITunnelConnection>();
    private readonly List<Task> _pumps = [];
    private Func<byte[], byte[]?>? _tamper;
    private TaskCompletionSource? _freeze;

    public string LocalDescription => "faulty-memory";

    public int Connections { get; private set; }

    /// <summary>Rewrites the next client → server frame for which <paramref name="tamper"/> returns non-null.</summary>
    public void TamperOnce(Func<byte[], byte[]?> tamper) => Volatile.Write(ref _tamper, tamper);

    public bool TamperPending => Volatile.Read(ref _tamper) is not null;

    /// <summary>Stops the current connection's pumps (both directions) until it is closed by an end.</summary>
    public void FreezeCurrent() => Volatile.Write(ref _freeze, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var options = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
        Pipe clientOut = new(options), serverIn = new(options), serverOut = new(options), clientIn = new(options);
        int number = ++Connections;
        Volatile.Write(ref _freeze, null);
        var client = new PipeTunnelConnection(clientIn.Reader, clientOut.Writer, $"faulty-server#{number}");
        var server = new PipeTunnelConnection(serverIn.Reader, serverOut.Writer, $"faulty-client#{number}");
        lock (_pumps)
        {
            _pumps.Add(PumpAsync(clientOut.Reader, serverIn.Writer, tamper: true));
            _pumps.Add(PumpAsync(serverOut.Reader, clientIn.Writer, tamper: false));
        }

        _pending.Writer.TryWrite(server);
        return ValueTask.FromResult<ITunnelConnection>(client);
    }

    public async ValueTask<ITunnelConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(FaultyLink));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps];
        }

        await Bounded.Wait(Task.WhenAll(pumps), "the link's pumps to stop");
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to, bool tamper)
    {
        var frames = new TunnelFrameReader(TunnelFrameReader.LargestMaxBodyLength);
        TaskCompletionSource? frozenAt = null;
        try
        {
            while (true)
            {
                ReadResult result = await from.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                TaskCompletionSource? freeze = Volatile.Read(ref _freeze);
                if (freeze is not null && (frozenAt is null || frozenAt == freeze))
                {
                    // Frozen: hold everything, forward nothing, until an end closes its side.
                    frozenAt = freeze;
                    from.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }

                    continue;
                }

                while (frames.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out _) == FrameStatus.Done)
                {
                    byte[] bytes = frame.ToArray();
                    Func<byte[], byte[]?>? rewrite = tamper ? Volatile.Read(ref _tamper) : null;
                    if (rewrite?.Invoke(bytes) is { } replaced)
                    {
                        Volatile.Write(ref _tamper, null);
                        bytes = replaced;
                    }

                    await to.WriteAsync(bytes);
                }

                from.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            // an end went away
        }

        await from.CompleteAsync();
        await to.CompleteAsync();
    }
}

using System.Buffers;
using System.IO.Pipelines;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>A hand-driven tunnel peer: writes arbitrary bytes and reads whole frames, to test what the real ends refuse.</summary>
internal sealed class RawPeer(ITunnelConnection connection) : IAsyncDisposable
{
    public static async Task<RawPeer> ConnectAsync(ITunnelConnector connector) => new(await connector.ConnectAsync(CancellationToken.None));

    public async Task SendAsync(byte[] bytes) => await connection.Transport.Output.WriteAsync(bytes);

    /// <summary>The next whole frame, or null when the other end closed the stream.</summary>
    public async Task<byte[]?> ReceiveAsync()
    {
        PipeReader input = connection.Transport.Input;
        var reader = new TunnelFrameReader(TunnelFrameReader.LargestMaxBodyLength);
        while (true)
        {
            ReadResult result = await Bounded.Wait(input.ReadAsync().AsTask(), "a frame or the close");
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out _) == FrameStatus.Done)
            {
                byte[] bytes = frame.ToArray();
                input.AdvanceTo(buffer.Start);
                return bytes;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads until the other end closes, returning the ERROR frame's code if one came first.</summary>
    public async Task<TunnelErrorCode?> ReceiveUntilClosedAsync()
    {
        TunnelErrorCode? code = null;
        while (await ReceiveAsync() is { } frame)
        {
            if (TunnelErrorFrame.TryRead(frame, out TunnelErrorFrame error) == TunnelFrameError.None)
            {
                code = error.Code;
            }
        }

        return code;
    }

    public static byte[] Hello(byte minVersion = 1, byte maxVersion = 1, TunnelAuthMethod method = TunnelAuthMethod.PreSharedKey)
    {
        var frame = new byte[TunnelHello.Length];
        TunnelFrameWriter.TryWriteHello(frame, minVersion, maxVersion, method, TunnelFeatures.None, new byte[32], out _);
        return frame;
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}

using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// Datagram I/O through <see cref="Socket"/> span and <see cref="SocketAddress"/> overloads: one syscall per
/// datagram, no allocation when nothing fails (an error costs one SocketException, which is caught).
/// Used off Linux, or when forced by <see cref="UdpSocketOptions.UsePortableIo"/>.
/// </summary>
/// <remarks>
/// Receive is for one thread at a time (it reuses one SocketAddress). Sends may come from any thread: the
/// destination is written into a per-thread scratch SocketAddress.
/// </remarks>
internal sealed unsafe class PortableDatagramIo : DatagramIo
{
    [ThreadStatic]
    private static SocketAddress? t_ipv4Scratch;

    [ThreadStatic]
    private static SocketAddress? t_ipv6Scratch;

    private readonly Socket _socket;
    private readonly SocketAddress _source;

    public PortableDatagramIo(Socket socket)
    {
        _socket = socket;
        _source = new SocketAddress(socket.AddressFamily);
    }

    public override bool IsNative => false;

    public override IoResult Receive(MessageBuffer buffer)
    {
        var received = 0;
        try
        {
            while (received < buffer.Capacity)
            {
                // Readable, or (first datagram only) a pending socket error that the receive below reports.
                if (!_socket.Poll(0, SelectMode.SelectRead)
                    && (received > 0 || !_socket.Poll(0, SelectMode.SelectError)))
                {
                    break;
                }

                // The slot's spare byte catches datagrams longer than SlotSize: Linux reports no MSG_TRUNC here.
                var length = _socket.ReceiveFrom(new Span<byte>(buffer.Payload(received), buffer.SlotSize + 1), SocketFlags.None, _source);
                Record(buffer, received, length);
                received++;
            }

            return received == 0 ? new IoResult(0, IoError.WouldBlock, 0) : IoResult.Done(received);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            // Windows reports truncation as an error; the slot holds the first SlotSize + 1 bytes.
            Record(buffer, received, buffer.SlotSize + 1);
            return IoResult.Done(received + 1);
        }
        catch (SocketException e)
        {
            return new IoResult(received, Classify(e.SocketErrorCode), e.NativeErrorCode);
        }
        catch (ObjectDisposedException)
        {
            return new IoResult(received, IoError.Closed, 0);
        }
    }

    public override IoResult SendBatch(MessageBuffer buffer, int start, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var index = start + i;
            var payload = buffer.OutgoingPayload(index);
            var result = buffer.HasDestination(index)
                ? SendOne(payload, buffer.Address(index))
                : SendOne(payload, default);
            if (result.Error != IoError.None)
            {
                return result with { Count = i };
            }
        }

        return IoResult.Done(count);
    }

    public override IoResult SendOne(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        try
        {
            if (destination.IsEmpty)
            {
                _socket.Send(payload, SocketFlags.None, out var error);
                return error == SocketError.Success ? IoResult.Done(1) : new IoResult(0, Classify(error), (int)error);
            }

            var scratch = destination.Family == AddressFamily.InterNetwork
                ? t_ipv4Scratch ??= new SocketAddress(AddressFamily.InterNetwork)
                : t_ipv6Scratch ??= new SocketAddress(AddressFamily.InterNetworkV6);
            destination.WriteTo(scratch);
            _socket.SendTo(payload, SocketFlags.None, scratch);
            return IoResult.Done(1);
        }
        catch (SocketException e)
        {
            return new IoResult(0, Classify(e.SocketErrorCode), e.NativeErrorCode);
        }
        catch (ObjectDisposedException)
        {
            return new IoResult(0, IoError.Closed, 0);
        }
    }

    private void Record(MessageBuffer buffer, int index, int length)
    {
        ref var header = ref buffer.Header(index);
        var truncated = length > buffer.SlotSize;
        header.Length = (uint)(truncated ? buffer.SlotSize : length);
        header.Header.Flags = truncated ? LinuxInterop.MSG_TRUNC : 0;
        buffer.Address(index) = UdpAddress.FromSocketAddress(_source);
    }

    internal static IoError Classify(SocketError error) => error switch
    {
        SocketError.WouldBlock or SocketError.Interrupted or SocketError.TryAgain => IoError.WouldBlock,
        SocketError.NoBufferSpaceAvailable => IoError.NoBuffers,
        SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable
            or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => IoError.PeerUnreachable,
        SocketError.MessageSize => IoError.TooLarge,
        SocketError.OperationAborted or SocketError.Shutdown or SocketError.NotSocket => IoError.Closed,
        _ => IoError.Unexpected,
    };
}

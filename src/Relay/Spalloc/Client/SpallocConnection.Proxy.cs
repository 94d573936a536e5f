using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Client;

public sealed partial class SpallocConnection
{
    private const int TagAttempts = 3;

    /// <summary>Connects the websocket, then (re)opens the live channel and sets its tag, and reopens every flow's channel.</summary>
    private async Task ConnectAsync(Uri? proxyRef, CancellationToken cancellationToken)
    {
        if (proxyRef is null)
        {
            throw new SpallocClientException(SpallocFailure.Service, $"{Job}: the job has no proxy-ref (the service offers no proxy for it)");
        }

        var proxy = await SpallocProxyClient.ConnectAsync(proxyRef, _client, this, _options.Proxy, cancellationToken).ConfigureAwait(false);
        _proxy = proxy;
        try
        {
            if (_liveOut is not null)
            {
                var (channel, server) = await proxy.OpenUnboundAsync(cancellationToken).ConfigureAwait(false);
                _unbound = channel;
                Log.Debug(Component, $"live channel {channel}: boards send to {server}");
                if (_options.LiveTag is { } tag)
                {
                    await SetTagsAsync(tag, cancellationToken).ConfigureAwait(false);
                }
            }

            Flow[] flows;
            lock (_flows)
            {
                flows = [.. _flows];
            }

            foreach (var flow in flows)
            {
                await OpenFlowAsync(flow, proxy).ConfigureAwait(false);
            }
        }
        catch
        {
            // A half-set-up websocket is of no use: close it, so the next attempt starts clean.
            await proxy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Points tag <paramref name="tag"/> of every board at the live channel: IPTAG SET (STRIP + USE_SENDER) by MSG_TO, as spinnman, 3 tries of 1 s each.</summary>
    private async Task SetTagsAsync(int tag, CancellationToken cancellationToken)
    {
        using var scp = new ScpClient(_tagSocket!.LocalEndPoint) { Timeout = TimeSpan.FromSeconds(1), Attempts = TagAttempts };
        _tagClient = UdpAddress.FromIPEndPoint(scp.LocalEndPoint);
        _tagging = true;
        try
        {
            foreach (var board in Boards)
            {
                _tagTarget = (board.X, board.Y);
                try
                {
                    await Task.Run(() => scp.SetIpTag(tag, null, 0, strip: true, useSender: true), cancellationToken).ConfigureAwait(false);
                }
                catch (ScpClientException ex)
                {
                    throw new SpallocClientException(SpallocFailure.Timeout, $"board {board.X},{board.Y}: setting IP tag {tag} to the live channel failed after {TagAttempts} tries: {ex.Message}", ex);
                }
            }
        }
        finally
        {
            _tagging = false;
        }
    }

    /// <summary>Opens a flow's channel and hands it to the loop thread, which sends what was held meanwhile.</summary>
    private async Task OpenFlowAsync(Flow flow, SpallocProxyClient proxy)
    {
        try
        {
            var channel = await proxy.OpenAsync(flow.Port.X, flow.Port.Y, flow.Port.Remote, _stop.Token).ConfigureAwait(false);
            _byChannel[channel] = flow;
            _loop.Post(new FlowOpened(this, flow, channel, proxy));
        }
        catch (Exception ex) when (ex is SpallocClientException or OperationCanceledException)
        {
            if (!_stop.IsCancellationRequested)
            {
                Log.Warn(Component, $"{flow}: {ex.Message}");
            }

            _loop.Post(new FlowOpened(this, flow, 0, proxy));
        }
    }

    /// <summary>Waits for the websocket to drop, then reconnects with backoff and reopens every channel.</summary>
    private async Task SuperviseAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var proxy = _proxy!;
            var reason = await proxy.Closed.ConfigureAwait(false);
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _reconnecting = true;
            _byChannel.Clear();
            Flow[] flows;
            lock (_flows)
            {
                flows = [.. _flows];
            }

            foreach (var flow in flows)
            {
                flow.Channel = 0;
            }

            _unbound = 0;
            var interrupted = flows.Select(f => f.ToString()).ToList();
            if (_visualisers.Length > 0)
            {
                interrupted.Add($"live output to {string.Join(", ", _visualisers)}");
            }

            interrupted.AddRange(_inputs.Select(i => $"live input {i.Socket.LocalEndPoint} -> {i.Input.X},{i.Input.Y}:{i.Input.BoardPort}"));
            Log.Warn(Component, $"websocket {proxy.Uri} ended: {reason}; interrupted: {(interrupted.Count == 0 ? "nothing" : string.Join("; ", interrupted))}");
            await proxy.DisposeAsync().ConfigureAwait(false);
            if (!await ReconnectAsync().ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<bool> ReconnectAsync()
    {
        var delay = _options.ReconnectDelay;
        var limit = _options.ReconnectAttempts;
        var of = limit == 0 ? "" : $"/{limit}";
        for (var attempt = 1; limit == 0 || attempt <= limit; attempt++)
        {
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                var job = await _client.GetJobAsync(Job, false, _stop.Token).ConfigureAwait(false);
                if (job.IsDestroyed)
                {
                    _ended.TrySetResult($"{Job}: the job was destroyed: {job.Reason}");
                    return false;
                }

                await ConnectAsync(job.ProxyRef, _stop.Token).ConfigureAwait(false);
                _reconnecting = false;
                Interlocked.Increment(ref _reconnects);
                Log.Info(Component, $"reconnected to {_proxy!.Uri} (attempt {attempt}); every channel reopened");
                return true;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return false;
            }
            catch (SpallocClientException ex) when (ex.Status is 404 or 410)
            {
                _ended.TrySetResult($"{Job}: the service no longer knows the job ({ex.Message})");
                return false;
            }
            catch (SpallocClientException ex)
            {
                Log.Warn(Component, $"reconnect attempt {attempt}{of}: {ex.Message}");
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
        }

        _ended.TrySetResult($"{Job}: gave up reconnecting after {limit} attempts (--reconnect-attempts; 0 tries until stopped)");
        return false;
    }

    private void Drop() => Interlocked.Increment(ref _dropped);

    /// <summary>On the loop thread: the flow's channel is open (or failed: 0, then the next datagram tries again).</summary>
    private sealed class FlowOpened(SpallocConnection owner, Flow flow, uint channel, SpallocProxyClient proxy) : IUdpLoopWork
    {
        public void Execute(UdpEventLoop loop)
        {
            if (!ReferenceEquals(proxy, owner._proxy))
            {
                return; // an answer from a websocket that has since been replaced: the reconnection reopens the flow
            }

            flow.Opening = false;
            flow.Channel = channel;
            if (channel != 0)
            {
                flow.SendHeld(proxy);
            }
        }
    }

    /// <summary>Datagrams from local applications to a board port: each application's own channel, MSG frames, one wake per batch.</summary>
    private sealed class BoardPortReceiver(SpallocConnection owner, BoardPort port) : IUdpReceiver
    {
        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            var proxy = owner._proxy;
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch.IsTruncated(i))
                {
                    owner.Drop();
                    continue;
                }

                ref readonly var source = ref batch.GetSource(i);
                if (!port.Flows.TryGetValue(source, out var flow))
                {
                    flow = new Flow(port, source);
                    port.Flows[source] = flow;
                    lock (owner._flows)
                    {
                        owner._flows.Add(flow);
                    }
                }

                flow.LastActive = now;
                var channel = flow.Channel;
                if (channel != 0 && proxy is not null)
                {
                    if (!proxy.TrySendMessage(channel, batch.GetPayload(i)))
                    {
                        owner.Drop();
                    }

                    continue;
                }

                if (!flow.Hold(batch.GetPayload(i), owner._options.HeldPerFlow))
                {
                    owner.Drop();
                }

                if (!flow.Opening && proxy is not null && !owner._reconnecting)
                {
                    flow.Opening = true;
                    _ = owner.OpenFlowAsync(flow, proxy);
                }
            }

            proxy?.FlushAfterReceive(batch.Count);
        }
    }

    /// <summary>Closes the channels of applications idle for <see cref="SpallocConnectOptions.FlowIdleTimeout"/> (checked about once a second).</summary>
    private sealed class FlowExpiry(SpallocConnection owner) : IUdpTickHandler
    {
        private readonly List<Flow> _expired = [];
        private long _nextSweep;

        public void OnTick(UdpEventLoop loop, long timestamp)
        {
            if (timestamp < _nextSweep)
            {
                return;
            }

            _nextSweep = timestamp + System.Diagnostics.Stopwatch.Frequency;
            var idle = (long)(owner._options.FlowIdleTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            foreach (var port in owner._ports)
            {
                foreach (var flow in port.Flows.Values)
                {
                    if (!flow.Opening && timestamp - flow.LastActive > idle)
                    {
                        _expired.Add(flow);
                    }
                }
            }

            foreach (var flow in _expired)
            {
                owner.Expire(flow);
            }

            _expired.Clear();
        }
    }

    /// <summary>On the loop thread: forgets an idle flow and closes its channel (in the background).</summary>
    private void Expire(Flow flow)
    {
        flow.Port.Flows.Remove(flow.Application);
        lock (_flows)
        {
            _flows.Remove(flow);
        }

        var channel = flow.Channel;
        flow.Channel = 0;
        if (channel != 0 && _byChannel.TryRemove(channel, out _) && _proxy is { } proxy && !_reconnecting)
        {
            Log.Debug(Component, $"{flow}: idle, closing channel {channel}");
            _ = CloseQuietlyAsync(proxy, channel);
        }
    }

    private static async Task CloseQuietlyAsync(SpallocProxyClient proxy, uint channel)
    {
        try
        {
            await proxy.CloseAsync(channel).ConfigureAwait(false);
        }
        catch (SpallocClientException)
        {
            // The websocket is going or gone: the channel goes with it.
        }
    }

    /// <summary>Live input: each datagram to the board's port with MSG_TO on the live channel.</summary>
    private sealed class LiveInputReceiver(SpallocConnection owner, SpallocLiveInput input) : IUdpReceiver
    {
        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            var proxy = owner._proxy;
            var channel = owner._unbound;
            for (var i = 0; i < batch.Count; i++)
            {
                if (channel == 0 || proxy is null || batch.IsTruncated(i) || !proxy.TrySendMessageTo(channel, input.X, input.Y, input.BoardPort, batch.GetPayload(i)))
                {
                    owner.Drop();
                }
            }

            proxy?.FlushAfterReceive(batch.Count);
        }
    }

    /// <summary>The IP tag helper's requests: MSG_TO the board being tagged, on the live channel (so USE_SENDER names the server's socket).</summary>
    private sealed class TagReceiver(SpallocConnection owner) : IUdpReceiver
    {
        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            var proxy = owner._proxy;
            var (x, y) = owner._tagTarget;
            for (var i = 0; i < batch.Count; i++)
            {
                proxy?.TrySendMessageTo(owner._unbound, x, y, owner._options.BoardScpPort, batch.GetPayload(i));
            }

            proxy?.FlushAfterReceive(batch.Count);
        }
    }
}

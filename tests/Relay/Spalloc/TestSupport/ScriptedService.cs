using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>
/// A stand-in Spalloc service on 127.0.0.1:0 that answers what the test sets, to see what the client makes of a broken
/// or hostile one: every path gets the <see cref="Answer"/> (status, content type and body) set for it, else 404 (200 for
/// the login paths, so logging in works). A body may also be written without end (<see cref="Endless"/>), up to a
/// bound, until the client hangs up.
/// </summary>
internal sealed class ScriptedService : IAsyncDisposable
{
    /// <summary>Most bytes an endless body writes before giving up on the client hanging up.</summary>
    public const long EndlessBound = 256L << 20;

    private readonly WebApplication _app;
    private readonly Dictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<byte[]>> _webSockets = new(StringComparer.Ordinal);

    private ScriptedService(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public static async Task<ScriptedService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        ScriptedService? service = null;
        app.Run(context => service!.HandleAsync(context));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        service = new ScriptedService(app, new Uri($"http://127.0.0.1:{address.Port}/spalloc/"));
        service.Json("srv/spalloc/", $$"""{"jobs-ref": "{{service.BaseUri}}srv/spalloc/jobs", "machines-ref": "{{service.BaseUri}}srv/spalloc/machines", "csrf-header": "X-CSRF-TOKEN", "csrf-token": "t"}""");
        return service;
    }

    /// <summary>What a path answers.</summary>
    public sealed record Answer(int Status, string ContentType, byte[] Body, bool Endless = false);

    public void Set(string path, Answer answer)
    {
        lock (_answers)
        {
            _answers[path] = answer;
        }
    }

    public void Json(string path, string json, int status = 200) =>
        Set(path, new Answer(status, "application/json", System.Text.Encoding.UTF8.GetBytes(json)));

    public void Json(string path, byte[] json, int status = 200) => Set(path, new Answer(status, "application/json", json));

    /// <summary>A websocket at <paramref name="path"/> that sends <paramref name="messages"/> (binary) once open, then reads until closed.</summary>
    public void WebSocket(string path, IReadOnlyList<byte[]> messages)
    {
        lock (_answers)
        {
            _webSockets[path] = messages;
        }
    }

    /// <summary><paramref name="chunk"/> again and again, without a length, until the client hangs up.</summary>
    public void Endless(string path, string contentType, byte[] chunk) => Set(path, new Answer(200, contentType, chunk, Endless: true));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task ServeWebSocketAsync(HttpContext context, IReadOnlyList<byte[]> messages)
    {
        using var ws = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        try
        {
            foreach (byte[] message in messages)
            {
                await ws.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, context.RequestAborted);
            }

            while ((await ws.ReceiveAsync(buffer, context.RequestAborted)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went.
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var relative = path.StartsWith("/spalloc/", StringComparison.Ordinal) ? path["/spalloc/".Length..] : path;
        Answer? answer;
        IReadOnlyList<byte[]>? messages;
        lock (_answers)
        {
            _answers.TryGetValue(relative, out answer);
            _webSockets.TryGetValue(relative, out messages);
        }

        if (messages is not null && context.WebSockets.IsWebSocketRequest)
        {
            await ServeWebSocketAsync(context, messages);
            return;
        }

        if (answer is null)
        {
            context.Response.StatusCode = relative is "system/login.html" or "system/perform_login" ? 200 : 404; // login works unless set
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        if (!answer.Endless)
        {
            context.Response.ContentLength = answer.Body.Length;
            await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
            return;
        }

        try
        {
            for (long written = 0; written < EndlessBound && !context.RequestAborted.IsCancellationRequested; written += answer.Body.Length)
            {
                await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client hung up.
        }
    }
}

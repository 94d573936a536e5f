using Microsoft.Extensions.Logging;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>Sends ASP.NET Core's own warnings and errors (TLS handshake failures, Kestrel faults) to the relay's line logger.</summary>
internal sealed class LogBridge : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(MsLogLevel logLevel) => logLevel >= MsLogLevel.Warning && Diagnostics.Log.IsEnabled(Map(logLevel));

        public void Log<TState>(MsLogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, exception);
            if (exception is not null)
            {
                text += $" ({exception.GetType().Name}: {exception.Message})";
            }

            Diagnostics.Log.Write(Map(logLevel), "kestrel", $"{category}: {Diagnostics.Log.Escape(text, 500)}");
        }

        private static Diagnostics.LogLevel Map(MsLogLevel level) =>
            level >= MsLogLevel.Error ? Diagnostics.LogLevel.Error : Diagnostics.LogLevel.Warning;
    }
}

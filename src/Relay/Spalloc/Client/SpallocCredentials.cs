namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>
/// How a client logs in: a bearer token, or a user name and password (the login form). Resolved by
/// <see cref="Resolve"/> from, in order: explicit values, the service URL's <c>user:pass@</c>, then the environment
/// (<see cref="UserVariable"/>, <see cref="PasswordVariable"/>, <see cref="TokenVariable"/>).
/// </summary>
public sealed record SpallocCredentials(string? User, string? Password, string? Token)
{
    /// <summary>Environment variable holding the user name (as spinnman).</summary>
    public const string UserVariable = "SPALLOC_USER";

    /// <summary>Environment variable holding the password (as spinnman).</summary>
    public const string PasswordVariable = "SPALLOC_PASSWORD";

    /// <summary>Environment variable holding a bearer token (ours; spinnman takes the token only as an argument).</summary>
    public const string TokenVariable = "SPALLOC_TOKEN";

    /// <summary>True when a bearer token is used (it wins over a user name and password).</summary>
    public bool HasToken => !string.IsNullOrEmpty(Token);

    /// <summary>
    /// Resolves credentials and returns the service URL without its user info, with a trailing slash.
    /// <paramref name="environment"/> reads a variable (default: the process environment). Null when none are found:
    /// <paramref name="problem"/> says what to give.
    /// </summary>
    public static SpallocCredentials? Resolve(
        Uri service, string? user, string? password, string? token, out Uri cleanService, out string? problem, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var builder = new UriBuilder(service) { UserName = "", Password = "" };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        cleanService = builder.Uri;
        if (service.UserInfo.Length > 0)
        {
            var parts = service.UserInfo.Split(':', 2);
            user ??= Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                password ??= Uri.UnescapeDataString(parts[1]);
            }
        }

        token ??= environment(TokenVariable);
        user ??= environment(UserVariable);
        password ??= environment(PasswordVariable);
        problem = null;
        if (!string.IsNullOrEmpty(token))
        {
            return new SpallocCredentials(user, null, token);
        }

        if (!string.IsNullOrEmpty(user) && password is not null)
        {
            return new SpallocCredentials(user, password, null);
        }

        problem = $"no credentials: give --token (or {TokenVariable}), or --user and --password (or {UserVariable} and {PasswordVariable}, " +
            "or https://user:pass@host/ in the service URL)";
        return null;
    }

    /// <summary>Never shows the secret.</summary>
    public override string ToString() => HasToken ? "bearer token" : $"user {User}";
}

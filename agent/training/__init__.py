"""Training, export and evaluation of the policy. Torch and stable-baselines3 are imported only here
(the `[train]` extra); the runtime never imports this package."""

package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Prints a script that completes herald's commands and flags in the shell.
	bash and zsh ask herald itself for the candidates (--generate-bash-completion);
	fish gets every command and flag written out.

	Examples:
	    source <(herald completion bash)          # in ~/.bashrc
	    source <(herald completion zsh)           # in ~/.zshrc
	    herald completion fish > ~/.config/fish/completions/herald.fish`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("herald completion takes one shell: bash, zsh or fish")
			}
			switch shell := c.Args().First(); shell {
			case "bash":
				fmt.Fprint(c.App.Writer, bashCompletion)
			case "zsh":
				fmt.Fprint(c.App.Writer, zshCompletion)
			case "fish":
				// Without urfave/cli's help command: in a process that ran
				// it (a test), it lists itself among its subcommands.
				app := *c.App
				app.Commands = withoutHelp(app.Commands)
				script, err := app.ToFishCompletion()
				if err != nil {
					return err
				}
				fmt.Fprint(c.App.Writer, script)
			default:
				return usageError("no completion for shell %q: use bash, zsh or fish", shell)
			}
			return nil
		},
	}
}

// withoutHelp copies cmds and their subcommands, leaving out help.
func withoutHelp(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if c.HasName("help") {
			continue
		}
		cp := *c
		cp.Subcommands = withoutHelp(c.Subcommands)
		out = append(out, &cp)
	}
	return out
}

// bashCompletion and zshCompletion are urfave/cli's autocomplete scripts
// (its autocomplete folder), with herald for $PROG.
const bashCompletion = `# bash completion for herald
_herald_complete() {
  local cur opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == "-"* ]]; then
    opts=$( "${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null )
  else
    opts=$( "${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null )
  fi
  COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
  return 0
}
complete -o bashdefault -o default -F _herald_complete herald
`

const zshCompletion = `#compdef herald
_herald_complete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _herald_complete herald
`

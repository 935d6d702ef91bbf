/**
 * The context a kubeconfig selects when none is named (its `current-context`), undefined when it
 * has none. A kubeconfig is YAML (or JSON) whose context names are plain words, so a line match
 * suffices without a YAML parser.
 */
export function kubeconfigCurrentContext(kubeconfig: string): string | undefined {
  return /["']?current-context["']?\s*:\s*["']?([^"'\s,}]+)/.exec(kubeconfig)?.[1];
}

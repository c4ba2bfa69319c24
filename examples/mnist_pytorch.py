"""The classic PyTorch MNIST example (pytorch/examples, mnist/main.py) running on chainrule.

The only change from the PyTorch original is the imports: ``import chainrule as torch`` and
chainrule's ``datasets`` / ``transforms`` in place of torchvision's. A convolutional ``Net``
with ``F.log_softmax`` and ``F.nll_loss``, ``DataLoader``s, ``train`` / ``test`` functions,
Adadelta and a ``StepLR`` schedule, exactly as in the original.

The data is read from ``--data`` (default ``$CHAINRULE_DATA_DIR`` or ``~/.chainrule/datasets``),
fetched there first from ``$CHAINRULE_DATA_MIRROR`` or the public mirrors.

Run: ``python examples/mnist_pytorch.py [--epochs 14] [--quick | --limit N] [--save-model]``
"""

import argparse

import chainrule as torch
import chainrule.nn.functional as F
from chainrule import datasets, nn, optim, transforms
from chainrule.optim.lr_scheduler import StepLR
from chainrule.utils.data import Subset


class Net(nn.Module):
    """Two 3x3 convolutions, max pooling, dropout and two fully connected layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        """Log-probabilities of the ten digits for a batch of (N, 1, 28, 28) images."""
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    """One epoch of training, logging the loss every ``args.log_interval`` batches."""
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            seen, total = batch_idx * len(data), len(train_loader.dataset)
            print(f'Train Epoch: {epoch} [{seen}/{total} '
                  f'({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}')
            if args.dry_run:
                break


def test(model, device, test_loader):
    """Average loss and accuracy on the test set; returns the accuracy in percent."""
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    accuracy = 100. * correct / len(test_loader.dataset)
    print(f'\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/'
          f'{len(test_loader.dataset)} ({accuracy:.0f}%)\n')
    return accuracy


def main():
    """Parse the original example's options (plus ``--quick`` / ``--limit``) and train."""
    parser = argparse.ArgumentParser(description='PyTorch MNIST Example (on chainrule)')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N',
                        help='input batch size for training (default: 64)')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N',
                        help='input batch size for testing (default: 1000)')
    parser.add_argument('--epochs', type=int, default=14, metavar='N',
                        help='number of epochs to train (default: 14)')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR',
                        help='learning rate (default: 1.0)')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M',
                        help='Learning rate step gamma (default: 0.7)')
    parser.add_argument('--dry-run', action='store_true',
                        help='quickly check a single pass')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='random seed (default: 1)')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='how many batches to wait before logging training status')
    parser.add_argument('--save-model', action='store_true',
                        help='For Saving the current Model')
    parser.add_argument('--data', default=None, metavar='DIR',
                        help='datasets folder (default: $CHAINRULE_DATA_DIR or '
                        '~/.chainrule/datasets)')
    parser.add_argument('--limit', type=int, default=None, metavar='N',
                        help='use only the first N training and N // 4 (at least 200) test images')
    parser.add_argument('--quick', action='store_true',
                        help='CI: 1 epoch on 640 training and 200 test images')
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.limit = 1, args.limit or 640

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_kwargs = {'batch_size': args.batch_size, 'shuffle': True}
    test_kwargs = {'batch_size': args.test_batch_size}

    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,))
    ])
    dataset1 = datasets.MNIST(args.data, train=True, download=True, transform=transform)
    dataset2 = datasets.MNIST(args.data, train=False, transform=transform, download=True)
    if args.limit:
        dataset1 = Subset(dataset1, range(min(args.limit, len(dataset1))))
        dataset2 = Subset(dataset2, range(min(max(args.limit // 4, 200), len(dataset2))))
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == "__main__":
    main()
